import { type DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SecretBox } from '../crypto/secret-box';
import { ChangeRecorderModule } from '../snapshots/change-recorder.module';
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
      imports: [ChangeRecorderModule],
      controllers: [WebhooksController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        // Stateless (the config only): a private instance is harmless.
        SecretBox,
        WebhookDeliveries,
        WebhooksService,
      ],
      exports: [WebhookDeliveries],
    };
  }
}
