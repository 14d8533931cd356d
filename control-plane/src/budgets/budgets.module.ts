import { Module } from '@nestjs/common';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { UsageModule } from '../usage/usage.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { BudgetAlerts } from './budget-alerts.service';

/** Budget alerts: thresholds reached by settled spend fire once per key and period, through webhooks and the audit trail. */
@Module({
  imports: [SnapshotsModule, UsageModule, WebhooksModule],
  providers: [BudgetAlerts],
})
export class BudgetsModule {}
