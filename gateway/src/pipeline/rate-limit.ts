import { after, type Stage } from '../context.js';
import { errorResponse } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { LimitName, RateLimiter } from '../rate-limit/limiter.js';

const MESSAGES: Record<LimitName, string> = {
  requests: 'Rate limit exceeded: requests per minute of ',
  tokens: 'Rate limit exceeded: tokens per minute of ',
  input_tokens: 'Rate limit exceeded: input tokens per minute of ',
  output_tokens: 'Rate limit exceeded: output tokens per minute of ',
  concurrency: 'Rate limit exceeded: concurrent requests of ',
};

/**
 * Admits the request against every rate limit that applies to its key, each on its own scope's
 * counters (no network on this path): the key's own limits count the key's requests (its ephemeral
 * tokens' included), its owner's count all of the owner's keys, each group's all of its members' keys,
 * fleet-wide. The 429 names the scope that refused ("… of the key's owner").
 */
export const rateLimit =
  (limiter: RateLimiter, metrics: GatewayMetrics): Stage =>
  async (c, next) => {
    const decision = limiter.check(after(c, 'key').policy().rateLimits);
    if (!decision.ok) {
      metrics.rateLimited.inc({ limit: decision.limit });
      return errorResponse(
        c,
        'rate_limit_exceeded',
        MESSAGES[decision.limit] + decision.label,
        decision.headers,
      );
    }
    c.set('lease', decision.lease);
    // Before the response exists (see request-id.ts): the route's response carries them.
    for (const name in decision.headers) c.header(name, decision.headers[name]);
    return next();
  };
