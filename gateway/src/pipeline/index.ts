import type { Stage } from '../context.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Operation } from '../providers/index.js';
import type { RateLimiter } from '../rate-limit/limiter.js';
import type { SnapshotStore } from '../snapshot/store.js';
import { type AuthenticateOptions, authenticate } from './authenticate.js';
import { type BodyLimits, jsonBody, passthroughBody } from './body.js';
import { ipAllowlist } from './ip-allowlist.js';
import { keyState } from './key-state.js';
import { meter } from './meter.js';
import { rateLimit } from './rate-limit.js';
import { passthroughScope, scope } from './scope.js';

export { clientAddress } from './ip-allowlist.js';
export { requestId } from './request-id.js';

export interface PipelineDeps {
  store: SnapshotStore;
  metrics: GatewayMetrics;
  limiter: RateLimiter;
  bodyLimits: BodyLimits;
  auth?: Partial<Omit<AuthenticateOptions, 'store' | 'metrics'>>;
}

/**
 * The ordered chains, built once. Request id and client address run for every request (app.ts);
 * then key → state → IP → body → scope (model/provider) → rate limit → meter → route.
 */
export function buildPipeline(deps: PipelineDeps) {
  const identify: Stage[] = [
    authenticate({ store: deps.store, metrics: deps.metrics, ...deps.auth }),
    keyState(),
    ipAllowlist(),
  ];
  const admit: Stage[] = [rateLimit(deps.limiter, deps.metrics), meter(deps.metrics)];
  return {
    /** /v1 operations: a JSON body naming a model. */
    operation: (op: Operation): Stage[] => [
      ...identify,
      jsonBody(deps.bodyLimits),
      scope(deps.store, op),
      ...admit,
    ],
    /** `/gateway/:provider/*`. */
    passthrough: (): Stage[] => [
      ...identify,
      passthroughBody(deps.bodyLimits),
      passthroughScope(deps.store),
      ...admit,
    ],
    /** Calls that reach no provider (GET /v1/models): who is asking, nothing more. */
    identifyOnly: (): Stage[] => [...identify],
  };
}
