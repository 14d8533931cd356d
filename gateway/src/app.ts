import { Hono } from 'hono';
import { routePath } from 'hono/route';
import { BudgetLedger } from './budget/ledger.js';
import type { GatewayEnv } from './context.js';
import { errorResponse } from './errors.js';
import { GatewayMetrics } from './metrics.js';
import { type BodyLimits, bodyConsumed, DEFAULT_BODY_LIMITS } from './pipeline/body.js';
import { buildPipeline, clientAddress, type PipelineDeps, requestId } from './pipeline/index.js';
import { RateLimiter } from './rate-limit/limiter.js';
import { registerMcpRoutes } from './routes/mcp.js';
import { registerOpsRoutes } from './routes/ops.js';
import { registerPassthroughRoutes } from './routes/passthrough.js';
import { registerV1Routes } from './routes/v1.js';
import type { SnapshotStore } from './snapshot/store.js';
import type { SyncTrust } from './snapshot/trust.js';
import { UpstreamClient } from './upstream/client.js';
import type { UsageSink } from './usage/emitter.js';

export interface GatewayDeps {
  /** The snapshot the gateway enforces; filled by a SnapshotSync in production, directly by tests. */
  store: SnapshotStore;
  /** CIDRs whose `X-Forwarded-For` is believed. */
  trustedProxies?: readonly string[];
  limiter?: RateLimiter;
  /** Provider upstreams (`UPSTREAM_ALLOWLIST`). */
  upstream?: UpstreamClient;
  /** MCP servers (`MCP_ALLOWLIST`): their own client, so a provider's allowance does not carry over. */
  mcpUpstream?: UpstreamClient;
  metrics?: GatewayMetrics;
  bodyLimits?: BodyLimits;
  auth?: PipelineDeps['auth'];
  /** Budget enforcement; a ledger without Redis (this gateway alone) when not given. */
  ledger?: BudgetLedger;
  /** Where usage events go (a UsageEmitter in production); none are built when not given. */
  usage?: UsageSink | null;
  /** Names this gateway process in usage events. */
  gatewayId?: string;
  /** What the snapshot sync reports about the control plane's key and refused messages (/readyz). */
  trust?: SyncTrust;
  /** The clock budget periods and event times are read from (tests move it); Date.now by default. */
  now?: () => number;
  /**
   * Whether `/readyz` and `/metrics` are served by this app (the default) or only by the operations
   * app (`buildOpsApp`, on `OPS_PORT`), in which case they are 404 here.
   */
  opsOnSeparatePort?: boolean;
}

export interface Gateway {
  app: Hono<GatewayEnv>;
  metrics: GatewayMetrics;
  limiter: RateLimiter;
  ledger: BudgetLedger;
  upstream: UpstreamClient;
  mcpUpstream: UpstreamClient;
  close(): Promise<void>;
}

/** The operations app for `OPS_PORT`: `/healthz`, `/readyz` and `/metrics`, nothing else. */
export function buildOpsApp(deps: {
  store: SnapshotStore;
  metrics: GatewayMetrics;
  trust?: SyncTrust | undefined;
}): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  registerOpsRoutes(app, deps);
  app.notFound((c) =>
    errorResponse(c, 'not_found', `No route for ${c.req.method} ${c.req.path.slice(0, 200)}`),
  );
  return app;
}

/** Builds the app from its parts; every dependency is passed in once, so tests build it with real ones. */
export function buildGateway(deps: GatewayDeps): Gateway {
  const metrics = deps.metrics ?? new GatewayMetrics(deps.store);
  const limiter = deps.limiter ?? new RateLimiter({ redis: null, instanceId: 'local' });
  const upstream = deps.upstream ?? new UpstreamClient();
  const mcpUpstream = deps.mcpUpstream ?? new UpstreamClient();
  const now = deps.now ?? Date.now;
  const ledger = deps.ledger ?? new BudgetLedger({ redis: null, instanceId: 'local', now });
  const pipeline = buildPipeline({
    store: deps.store,
    metrics,
    limiter,
    ledger,
    meter: { usage: deps.usage ?? null, gatewayId: deps.gatewayId ?? 'local', now },
    bodyLimits: deps.bodyLimits ?? DEFAULT_BODY_LIMITS,
    auth: { now, ...deps.auth },
  });

  const app = new Hono<GatewayEnv>();
  app.use('*', async (c, next) => {
    const started = performance.now();
    c.set('startedAt', started);
    await next();
    let route = routePath(c, -1) ?? '*';
    if (route === '*' || route === '/*') route = 'unmatched';
    metrics.requests.inc({ route, status: String(c.res.status), code: c.get('errorCode') ?? '' });
    metrics.latency.observe({ route }, (performance.now() - started) / 1000);
  });
  app.use('*', async (c, next) => {
    await next();
    // Refused before its body was read: close the connection rather than drain an unread (maybe huge) body.
    if (c.res.status < 400) return;
    const hasBody =
      c.req.header('transfer-encoding') !== undefined || Number(c.req.header('content-length') ?? 0) > 0;
    if (hasBody && !bodyConsumed(c)) c.res.headers.set('connection', 'close');
  });
  app.use('*', requestId());
  app.use('*', clientAddress(deps.trustedProxies ?? []));
  registerOpsRoutes(
    app,
    { store: deps.store, metrics, trust: deps.trust },
    { probes: !deps.opsOnSeparatePort },
  );
  registerV1Routes(app, { store: deps.store, upstream, ...pipeline });
  registerPassthroughRoutes(app, { upstream, ...pipeline });
  registerMcpRoutes(app, { upstream: mcpUpstream, ...pipeline });
  app.notFound((c) =>
    errorResponse(c, 'not_found', `No route for ${c.req.method} ${c.req.path.slice(0, 200)}`),
  );
  app.onError((err, c) => {
    console.error(`gateway: unhandled error on ${c.req.method} ${c.req.path.slice(0, 200)}: ${err.message}`);
    return errorResponse(c, 'upstream_error', 'The gateway failed to handle the request');
  });
  return {
    app,
    metrics,
    limiter,
    ledger,
    upstream,
    mcpUpstream,
    close: async () => {
      limiter.close();
      ledger.close();
      await Promise.all([upstream.close(), mcpUpstream.close()]);
    },
  };
}
