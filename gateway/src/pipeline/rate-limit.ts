import type { Stage } from '../context.js';
import { errorResponse } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { LimitName, RateLimiter } from '../rate-limit/limiter.js';

const MESSAGES: Record<LimitName, string> = {
  requests: 'Rate limit exceeded: requests per minute',
  tokens: 'Rate limit exceeded: tokens per minute',
  input_tokens: 'Rate limit exceeded: input tokens per minute',
  output_tokens: 'Rate limit exceeded: output tokens per minute',
  concurrency: 'Rate limit exceeded: concurrent requests',
};

/**
 * Admits the request against the key's effective limits (the strictest of the key's, its owner's and
 * the owner's groups') from local counters (no network on this path). The counters are the key's:
 * a user or group limit applies to each of their keys separately, not to their keys together.
 */
export const rateLimit =
  (limiter: RateLimiter, metrics: GatewayMetrics): Stage =>
  async (c, next) => {
    const entry = c.get('key');
    const decision = limiter.check(entry.key, entry.policy().limits);
    if (!decision.ok) {
      metrics.rateLimited.inc({ limit: decision.limit });
      return errorResponse(c, 'rate_limit_exceeded', MESSAGES[decision.limit], decision.headers);
    }
    c.set('lease', decision.lease);
    // Before the response exists (see request-id.ts): the route's response carries them.
    for (const name in decision.headers) c.header(name, decision.headers[name]);
    return next();
  };
