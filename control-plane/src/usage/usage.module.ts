import { Module } from '@nestjs/common';
import { SpendService } from './spend.service';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';
import { UsageConsumer } from './usage-consumer';
import { UsageGroupResolver } from './usage-group-resolver';
import { UsageIngestedEvents } from './usage-ingested.events';
import { UsageJobs } from './usage-jobs';
import { UsageSignatureVerifier } from './usage-signature';
import { UsageStats } from './usage-stats';
import { UsageWriter } from './usage-writer';

/**
 * Usage ingestion (the consumer of the gateways' stream, its writer and jobs) and reports. Exports what
 * other modules read: settled spend per budget period, the after-commit notification of ingested usage,
 * the consumer's counters (health and metrics) and the usage report (member detail).
 */
@Module({
  controllers: [UsageController],
  providers: [
    SpendService,
    UsageIngestedEvents,
    UsageStats,
    UsageService,
    UsageGroupResolver,
    UsageWriter,
    UsageConsumer,
    UsageSignatureVerifier,
    UsageJobs,
  ],
  exports: [SpendService, UsageIngestedEvents, UsageStats, UsageService],
})
export class UsageModule {}
