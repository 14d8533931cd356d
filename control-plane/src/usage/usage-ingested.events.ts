import { Injectable, Logger } from '@nestjs/common';

export type UsageIngestedListener = (orgId: string, keyIds: string[]) => Promise<void>;

/**
 * In-process notification that usage was committed: after each batch the consumer tells every
 * subscriber which keys of which organization got new (counted) usage. Budget alerts hang off this.
 * A subscriber runs after the commit and off the ingestion path: its failure is logged and never
 * delays, retries or undoes ingestion.
 */
@Injectable()
export class UsageIngestedEvents {
  private readonly logger = new Logger('UsageIngested');
  private readonly listeners: UsageIngestedListener[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  subscribe(fn: UsageIngestedListener): void {
    this.listeners.push(fn);
  }

  /** Called by the consumer after a committed batch; returns at once (listeners run in the background). */
  emit(byOrg: ReadonlyMap<string, readonly string[]>): void {
    for (const [orgId, keyIds] of byOrg) {
      if (keyIds.length === 0) continue;
      for (const fn of this.listeners) {
        const run = (async () => {
          try {
            await fn(orgId, [...keyIds]);
          } catch (err) {
            this.logger.error(`a usage subscriber failed: ${(err as Error).message}`);
          }
        })();
        this.inFlight.add(run);
        void run.finally(() => this.inFlight.delete(run));
      }
    }
  }

  /** Waits for listeners still running (graceful shutdown, tests). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
