import type { BudgetLedger } from '../budget/ledger.js';
import type { Stage } from '../context.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Operation } from '../providers/index.js';
import type { RateLimiter } from '../rate-limit/limiter.js';
import type { SnapshotStore } from '../snapshot/store.js';
import { type AuthenticateOptions, authenticate } from './authenticate.js';
import { type BodyLimits, jsonBody, passthroughBody } from './body.js';
import { budget } from './budget.js';
import { ipAllowlist } from './ip-allowlist.js';
import { keyState } from './key-state.js';
import { mcpPolicy } from './mcp-policy.js';
import { type MeterDeps, meter } from './meter.js';
import { rateLimit } from './rate-limit.js';
import { passthroughScope, scope } from './scope.js';

export { clientAddress } from './ip-allowlist.js';
export { requestId } from './request-id.js';

export interface PipelineDeps {
  store: SnapshotStore;
  metrics: GatewayMetrics;
  limiter: RateLimiter;
  ledger: BudgetLedger;
  meter: Omit<MeterDeps, 'metrics'>;
  bodyLimits: BodyLimits;
  auth?: Partial<Omit<AuthenticateOptions, 'store' | 'metrics'>>;
}

/**
 * The ordered chains, built once. Request id and client address run for every request (app.ts);
 * then key → meter → state → IP → body → scope (model/provider) → rate limit → budget → route.
 * The meter sits right after the key because it wraps what follows: it acts once the route (or a
 * refusing stage) has answered, so every request with an identified key is counted exactly once.
 */
export function buildPipeline(deps: PipelineDeps) {
  const identify: Stage[] = [
    authenticate({ store: deps.store, metrics: deps.metrics, ...deps.auth }),
    meter({ metrics: deps.metrics, ...deps.meter }),
    keyState(),
    ipAllowlist(),
  ];
  const limit = rateLimit(deps.limiter, deps.metrics);
  return {
    /** /v1 operations: a JSON body naming a model. */
    operation: (op: Operation): Stage[] => [
      ...identify,
      jsonBody(deps.bodyLimits),
      scope(deps.store, op),
      limit,
      budget(deps.ledger, deps.metrics, op),
    ],
    /** `/gateway/:provider/*`. */
    passthrough: (): Stage[] => [
      ...identify,
      passthroughBody(deps.bodyLimits),
      passthroughScope(deps.store),
      limit,
      budget(deps.ledger, deps.metrics, null),
    ],
    /** `/mcp/:server`: the key's MCP policy, then the proxy (no model price, so no budget stage). */
    mcp: (): Stage[] => [...identify, mcpPolicy(deps.store, deps.bodyLimits), limit],
    /** Calls that reach no provider (GET /v1/models): who is asking, nothing more. */
    identifyOnly: (): Stage[] => [...identify],
  };
}
