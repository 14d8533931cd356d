import { Hono } from 'hono';
import { errorResponse } from './errors.js';

export interface GatewayDeps {
  /** The loaded snapshot's version, or null until one is loaded. */
  snapshotVersion: () => number | null;
}

export function buildApp(deps: GatewayDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    const version = deps.snapshotVersion();
    if (version === null)
      return errorResponse(c, 'gateway_not_ready', 'The gateway has not loaded a snapshot yet');
    return c.json({ status: 'ready', snapshotVersion: version });
  });
  app.notFound((c) => errorResponse(c, 'not_found', `No route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    console.error(`gateway: unhandled error on ${c.req.method} ${c.req.path}: ${err.message}`);
    return errorResponse(c, 'upstream_error', 'The gateway failed to handle the request');
  });
  return app;
}
