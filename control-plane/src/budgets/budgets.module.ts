import { Module } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { UsageModule } from '../usage/usage.module';
import { BudgetAlerts } from './budget-alerts.service';

/**
 * Budget alerts: thresholds reached by settled spend fire once per key and period, through webhooks
 * (WebhookDeliveries comes from the global WebhooksModule) and the audit trail.
 */
@Module({
  imports: [UsageModule],
  // AuditService is stateless (the data source only): a private instance is harmless.
  providers: [AuditService, BudgetAlerts],
})
export class BudgetsModule {}
