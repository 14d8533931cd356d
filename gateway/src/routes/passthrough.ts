import type { Hono } from 'hono';
import { after, type GatewayEnv, on, type Stage } from '../context.js';
import { errorResponse } from '../errors.js';
import {
  needsStreamUsage,
  rememberStreamOptionsRefused,
  streamOptionsRefused,
  withStreamUsage,
} from '../providers/usage.js';
import type { UpstreamClient } from '../upstream/client.js';
import { forward } from '../upstream/forward.js';

/** `/gateway/:provider/<path>`: the provider's own API, with the org's credential and the same enforcement. */
export const passthroughHandler =
  (upstream: UpstreamClient): Stage =>
  async (c) => {
    const { provider, credential, model, path } = after(c, 'target');
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
    // OpenAI-format chat/completions (and legacy completions) streams: ask for usage, as /v1 does.
    const hideStreamUsage =
      !!body &&
      provider.streamUsageOption &&
      url.pathname.endsWith('completions') &&
      needsStreamUsage(body.json) &&
      !streamOptionsRefused(credential);
    const json = body && hideStreamUsage ? withStreamUsage(body.json) : body?.json;
    // Only a body that named the model is renamed (a Gemini or Azure body naming none stays as it is).
    const serialize = (j: Record<string, unknown>) =>
      JSON.stringify(model && j.model !== undefined ? { ...j, model: model.upstreamModel } : j);
    const payload = json ? serialize(json) : c.get('rawBody');
    return forward(c, upstream, {
      url,
      method: c.req.method,
      body: payload && payload.length > 0 ? payload : null,
      withoutStreamUsage:
        body && hideStreamUsage
          ? { body: () => serialize(body.json), refused: () => rememberStreamOptionsRefused(credential) }
          : undefined,
      auth: provider.authHeaders(secret, credential.credential, c.req.raw.headers, url.pathname),
      requestBytes: body?.bytes ?? c.get('rawBody')?.byteLength ?? 0,
      hideStreamUsage,
    });
  };

export function registerPassthroughRoutes(
  app: Hono<GatewayEnv>,
  deps: { upstream: UpstreamClient; passthrough: () => Stage[] },
): void {
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
    on(app, method, '/gateway/:provider/*', deps.passthrough(), passthroughHandler(deps.upstream));
}
