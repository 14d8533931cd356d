import type { Hono } from 'hono';
import type { GatewayEnv } from '../context.js';
import { errorResponse } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { SnapshotStore } from '../snapshot/store.js';
import type { SyncTrust } from '../snapshot/trust.js';

export const REMOVED =
  'This gateway was removed from its organization: the control plane refuses its token, so it serves nothing';

/**
 * Health, readiness (a snapshot is loaded: stays ready while Redis or the control plane is down) and
 * metrics. With `probes: false` only liveness is served: readiness and metrics are on the operations
 * port (`OPS_PORT`), kept off the public network.
 */
export function registerOpsRoutes(
  app: Hono<GatewayEnv>,
  deps: { store: SnapshotStore; metrics: GatewayMetrics; trust?: SyncTrust | undefined },
  { probes = true }: { probes?: boolean } = {},
) {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  if (!probes) return;
  app.get('/readyz', async (c) => {
    const version = deps.store.version;
    if (deps.store.removed) return errorResponse(c, 'gateway_removed', REMOVED);
    if (version === null) {
      // Not ready: say why when it is about trust (a refused control-plane key, refused messages).
      const res = errorResponse(c, 'gateway_not_ready', 'The gateway has not loaded a snapshot yet');
      const trust = deps.trust;
      if (!trust || (trust.refusedKey === null && trust.rejectedTotal === 0)) return res;
      const { error } = (await res.json()) as { error: unknown };
      return c.json({ error, ...trust.report() }, 503);
    }
    return c.json({ status: 'ready', snapshotVersion: version, ...deps.trust?.report() });
  });
  app.get('/metrics', async (c) => {
    const text = await deps.metrics.registry.metrics();
    return c.body(text, 200, { 'content-type': deps.metrics.registry.contentType });
  });
}
