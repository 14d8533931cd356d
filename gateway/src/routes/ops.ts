import type { Hono } from 'hono';
import type { GatewayEnv } from '../context.js';
import { errorResponse } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { SnapshotStore } from '../snapshot/store.js';

/**
 * Health, readiness (a snapshot is loaded: stays ready while Redis or the control plane is down) and
 * metrics. With `probes: false` only liveness is served: readiness and metrics are on the operations
 * port (`OPS_PORT`), kept off the public network.
 */
export function registerOpsRoutes(
  app: Hono<GatewayEnv>,
  deps: { store: SnapshotStore; metrics: GatewayMetrics },
  { probes = true }: { probes?: boolean } = {},
) {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  if (!probes) return;
  app.get('/readyz', (c) => {
    const version = deps.store.version;
    if (version === null)
      return errorResponse(c, 'gateway_not_ready', 'The gateway has not loaded a snapshot yet');
    return c.json({ status: 'ready', snapshotVersion: version });
  });
  app.get('/metrics', async (c) => {
    const text = await deps.metrics.registry.metrics();
    return c.body(text, 200, { 'content-type': deps.metrics.registry.contentType });
  });
}
