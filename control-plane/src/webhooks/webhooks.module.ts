import { Module } from '@nestjs/common';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { WebhookDeliveries } from './webhook-deliveries.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/**
 * Webhook endpoints and their signed, retried deliveries. A module that sends an event imports this one:
 * `deliveries.create(em, orgId, type, data)` inside its transaction, `deliveries.enqueue(ids)` after the
 * commit.
 */
@Module({
  imports: [SnapshotsModule],
  controllers: [WebhooksController],
  providers: [WebhookDeliveries, WebhooksService],
  exports: [WebhookDeliveries],
})
export class WebhooksModule {}
