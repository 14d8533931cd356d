import type { Hono } from 'hono';
import { after, type GatewayEnv, on, type Stage } from '../context.js';
import { errorResponse } from '../errors.js';
import type { Operation } from '../providers/index.js';
import {
  needsStreamUsage,
  rememberStreamOptionsRefused,
  streamOptionsRefused,
  withStreamUsage,
} from '../providers/usage.js';
import type { SnapshotStore } from '../snapshot/store.js';
import { withoutStreamOptions } from '../translate/index.js';
import type { UpstreamClient } from '../upstream/client.js';
import { forward } from '../upstream/forward.js';

/** Forwards a unified /v1 call to the model's provider with the model renamed to its upstream name. */
export const operationHandler =
  (op: Operation, upstream: UpstreamClient): Stage =>
  async (c) => {
    const { provider, credential, model, translation } = after(c, 'target');
    const body = c.get('body');
    if (!model || !body) return errorResponse(c, 'invalid_request', 'The request body must name a model');
    const secret = credential.secret();
    if (secret === null)
      return errorResponse(c, 'upstream_error', 'The provider credential is not available');
    let url: URL;
    try {
      url = provider.url(credential.credential, {
        op: translation?.upstreamOp ?? op,
        upstreamModel: model.upstreamModel,
      });
    } catch {
      return errorResponse(c, 'upstream_error', 'The provider credential is misconfigured');
    }
    const auth = {
      ...provider.authHeaders(secret, credential.credential, c.req.raw.headers),
      'content-type': 'application/json',
    };
    if (translation) {
      const translated = translation.request(body.json, {
        provider,
        streamUsage: !streamOptionsRefused(credential),
      });
      if (!translated.ok) return errorResponse(c, 'invalid_request', translated.message);
      const json: Record<string, unknown> = { model: model.upstreamModel, ...translated.body };
      return forward(c, upstream, {
        url,
        method: 'POST',
        body: JSON.stringify(json),
        withoutStreamUsage:
          json.stream_options === undefined
            ? undefined
            : {
                body: () => JSON.stringify(withoutStreamOptions(json)),
                refused: () => rememberStreamOptionsRefused(credential),
              },
        auth,
        requestBytes: body.bytes,
        hideStreamUsage: false,
        translate: translated.response,
      });
    }
    const hideStreamUsage =
      op === 'chat' &&
      provider.streamUsageOption &&
      needsStreamUsage(body.json) &&
      !streamOptionsRefused(credential);
    const json = hideStreamUsage ? withStreamUsage(body.json) : body.json;
    return forward(c, upstream, {
      url,
      method: 'POST',
      body: JSON.stringify({ ...json, model: model.upstreamModel }),
      withoutStreamUsage: hideStreamUsage
        ? {
            body: () => JSON.stringify({ ...body.json, model: model.upstreamModel }),
            refused: () => rememberStreamOptionsRefused(credential),
          }
        : undefined,
      auth,
      requestBytes: body.bytes,
      hideStreamUsage,
    });
  };

/** GET /v1/models: the enabled models this key may use, in OpenAI's list shape. */
export const listModels =
  (store: SnapshotStore): Stage =>
  async (c) => {
    const key = after(c, 'key').key;
    // The effective models (owner's role and grants, their groups', the key's own narrowing; null = all).
    const models = after(c, 'key').policy().models;
    const created = Math.floor(Date.parse(store.generatedAt) / 1000) || 0;
    const data = [];
    for (const model of store.models.values()) {
      if (!model.enabled) continue;
      if (models !== null && !models.has(model.slug)) continue;
      const credential = store.credentials.get(model.credentialId);
      if (!credential) continue;
      const provider = credential.credential.provider;
      if (key.allowedProviders.length > 0 && !key.allowedProviders.includes(provider)) continue;
      data.push({ id: model.slug, object: 'model', created, owned_by: provider });
    }
    data.sort((a, b) => a.id.localeCompare(b.id));
    return c.json({ object: 'list', data });
  };

export function registerV1Routes(
  app: Hono<GatewayEnv>,
  deps: {
    store: SnapshotStore;
    upstream: UpstreamClient;
    operation: (op: Operation) => Stage[];
    identifyOnly: () => Stage[];
  },
): void {
  on(app, 'POST', '/v1/chat/completions', deps.operation('chat'), operationHandler('chat', deps.upstream));
  on(
    app,
    'POST',
    '/v1/embeddings',
    deps.operation('embeddings'),
    operationHandler('embeddings', deps.upstream),
  );
  on(app, 'POST', '/v1/messages', deps.operation('messages'), operationHandler('messages', deps.upstream));
  on(app, 'GET', '/v1/models', deps.identifyOnly(), listModels(deps.store));
}
