import type { Hono } from 'hono';
import { type GatewayEnv, on, type Stage } from '../context.js';
import { errorResponse } from '../errors.js';
import type { UpstreamClient } from '../upstream/client.js';
import { forward } from '../upstream/forward.js';

/** `/gateway/:provider/<path>`: the provider's own API, with the org's credential and the same enforcement. */
export const passthroughHandler =
  (upstream: UpstreamClient): Stage =>
  async (c) => {
    const { provider, credential, model, path } = c.get('target');
    const secret = credential.secret();
    if (secret === null)
      return errorResponse(c, 'upstream_error', 'The provider credential is not available');
    const rawUrl = c.req.url;
    const q = rawUrl.indexOf('?');
    const query = q === -1 ? '' : rawUrl.slice(q + 1);
    let url: URL;
    try {
      url = provider.url(credential.credential, { passthrough: path ?? '', query });
    } catch {
      return errorResponse(c, 'upstream_error', 'The provider credential is misconfigured');
    }
    const body = c.get('body');
    // Only a body that named the model is renamed (a Gemini or Azure body naming none stays as it is).
    const payload = body
      ? JSON.stringify(
          model && body.json.model !== undefined ? { ...body.json, model: model.upstreamModel } : body.json,
        )
      : c.get('rawBody');
    return forward(c, upstream, {
      url,
      method: c.req.method,
      body: payload && payload.length > 0 ? payload : null,
      auth: provider.authHeaders(secret, credential.credential, c.req.raw.headers, url.pathname),
      requestBytes: body?.bytes ?? c.get('rawBody')?.byteLength ?? 0,
      usageFromJson: provider.usageFromJson,
      usageFromEvent: provider.usageFromEvent,
      chunkMarker: provider.chunkMarker,
    });
  };

export function registerPassthroughRoutes(
  app: Hono<GatewayEnv>,
  deps: { upstream: UpstreamClient; passthrough: () => Stage[] },
): void {
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
    on(app, method, '/gateway/:provider/*', deps.passthrough(), passthroughHandler(deps.upstream));
}
