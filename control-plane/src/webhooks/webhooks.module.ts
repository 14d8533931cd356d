import { type DynamicModule, Module } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SecretBox } from '../crypto/secret-box';
import { WebhookDeliveries } from './webhook-deliveries.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/**
 * Webhook endpoints and their signed, retried deliveries. Global, so that any module can send an
 * event: `deliveries.create(em, orgId, type, data)` inside its transaction, `deliveries.enqueue(ids)`
 * after the commit. Needs JobsModule (BullMQ) imported by the application.
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest modules are classes; forRoot is Nest's dynamic-module idiom.
export class WebhooksModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WebhooksModule,
      global: true,
      controllers: [WebhooksController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        // Stateless helpers (config and the data source only): a private instance each is harmless.
        SecretBox,
        AuditService,
        WebhookDeliveries,
        WebhooksService,
      ],
      exports: [WebhookDeliveries],
    };
  }
}
