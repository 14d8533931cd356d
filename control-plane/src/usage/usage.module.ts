import { Module } from '@nestjs/common';
import { SpendService } from './spend.service';
import { UsageIngestedEvents } from './usage-ingested.events';
import { UsageStats } from './usage-stats';

/**
 * What other modules may use from usage: settled spend per budget period, the after-commit
 * notification of ingested usage, and the consumer's counters (health and metrics). One instance of
 * each per process (Nest modules are singletons).
 */
@Module({
  providers: [SpendService, UsageIngestedEvents, UsageStats],
  exports: [SpendService, UsageIngestedEvents, UsageStats],
})
export class UsageModule {}
