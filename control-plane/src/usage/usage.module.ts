import { Module } from '@nestjs/common';
import { SpendService } from './spend.service';
import { UsageIngestedEvents } from './usage-ingested.events';

/**
 * What other modules may use from usage: settled spend per budget period, and the after-commit
 * notification of ingested usage. One instance of each per process (Nest modules are singletons).
 */
@Module({
  providers: [SpendService, UsageIngestedEvents],
  exports: [SpendService, UsageIngestedEvents],
})
export class UsageModule {}
