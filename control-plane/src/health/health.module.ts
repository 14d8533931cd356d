import { Module } from '@nestjs/common';
import { UsageModule } from '../usage/usage.module';
import { HealthController } from './health.controller';
import { OpsServer } from './ops-server';

/** `/healthz`, `/metrics` and the operations server. Exports nothing. */
@Module({
  // UsageModule: UsageStats, the ingestion counters reported.
  imports: [UsageModule],
  controllers: [HealthController],
  providers: [OpsServer],
})
export class HealthModule {}
