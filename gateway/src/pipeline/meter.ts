import type { Stage } from '../context.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Usage } from '../providers/index.js';
import type { RateLease } from '../rate-limit/limiter.js';

/**
 * Counts what a request used and hands it to the rate limiter once, when the response is complete
 * (for a stream: when it ends or the client goes away), which also frees its concurrency slot.
 */
export class RequestMeter {
  #done = false;
  /** Set by a route whose response body settles the meter itself (streams). */
  deferred = false;
  constructor(
    private readonly lease: RateLease | undefined,
    private readonly metrics: GatewayMetrics,
  ) {}

  finish(usage: Usage): void {
    if (this.#done) return;
    this.#done = true;
    this.lease?.finish(usage);
    if (usage.inputTokens > 0) this.metrics.tokens.inc({ direction: 'input' }, usage.inputTokens);
    if (usage.outputTokens > 0) this.metrics.tokens.inc({ direction: 'output' }, usage.outputTokens);
  }
}

export const meter =
  (metrics: GatewayMetrics): Stage =>
  async (c, next) => {
    const m = new RequestMeter(c.var.lease, metrics);
    c.set('meter', m);
    try {
      await next();
    } finally {
      if (!m.deferred) m.finish({ inputTokens: 0, outputTokens: 0 });
    }
  };
