import { Module } from '@nestjs/common';
import { ChangeRecorderModule } from '../snapshots/change-recorder.module';
import { UsageModule } from '../usage/usage.module';
import { BudgetAlerts } from './budget-alerts.service';

/**
 * Budget alerts: thresholds reached by settled spend fire once per key and period, through webhooks
 * (WebhookDeliveries comes from the global WebhooksModule) and the audit trail.
 */
@Module({
  imports: [ChangeRecorderModule, UsageModule],
  providers: [BudgetAlerts],
})
export class BudgetsModule {}
