import type { GatewayContext, Stage } from '../context.js';
import { errorResponse } from '../errors.js';
import type { Operation } from '../providers/index.js';
import { PROVIDER_CONFIGS, providerByPathName } from '../providers/index.js';
import type { SnapshotStore } from '../snapshot/store.js';

const OPERATION_ROUTE: Record<Operation, string> = {
  chat: '/v1/chat/completions',
  embeddings: '/v1/embeddings',
  messages: '/v1/messages',
};

/** A pass-through path may not smuggle traversal or encoded separators to the upstream. */
const UNSAFE_PATH = /(^|\/)\.\.?(\/|$)|%2e|%2f|%5c|%00|\\|\/\//i;

const quote = (s: string) => JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}…` : s);

function resolveModel(c: GatewayContext, store: SnapshotStore, slug: string) {
  const model = store.models.get(slug);
  if (!model?.enabled)
    return {
      ok: false as const,
      response: errorResponse(c, 'model_not_found', `The model ${quote(slug)} does not exist`),
    };
  // The effective models: the owner's role and grants (and their groups'), narrowed by the key's
  // allowedModels (shared/policy.ts), cached on the key entry.
  const models = c.get('key').policy().models;
  if (models !== null && !models.has(slug))
    return {
      ok: false as const,
      response: errorResponse(c, 'model_not_allowed', `This API key may not use the model ${quote(slug)}`),
    };
  const credential = store.credentials.get(model.credentialId);
  if (!credential)
    return {
      ok: false as const,
      response: errorResponse(c, 'model_not_found', `The model ${quote(slug)} has no provider credential`),
    };
  return { ok: true as const, model, credential };
}

function providerAllowed(c: GatewayContext, provider: string): boolean {
  const allowed = c.get('key').key.allowedProviders;
  return allowed.length === 0 || (allowed as string[]).includes(provider);
}

/** Resolves the model named in a /v1 body to its provider and checks the key may use both. */
export const scope =
  (store: SnapshotStore, op: Operation): Stage =>
  async (c, next) => {
    const slug = c.get('body')?.json.model;
    if (typeof slug !== 'string' || slug.length === 0 || slug.length > 256)
      return errorResponse(c, 'invalid_request', 'The request body must name a model');
    const resolved = resolveModel(c, store, slug);
    if (!resolved.ok) return resolved.response;
    const provider = PROVIDER_CONFIGS[resolved.credential.credential.provider];
    if (!providerAllowed(c, provider.id))
      return errorResponse(c, 'provider_not_allowed', `This API key may not use the provider ${provider.id}`);
    if (!provider.operations.includes(op)) {
      const use = provider.operations[0];
      return errorResponse(
        c,
        'invalid_request',
        `The model ${quote(slug)} is served by ${provider.id}${use ? `; call ${OPERATION_ROUTE[use]}` : ''}`,
      );
    }
    c.set('target', { provider, credential: resolved.credential, model: resolved.model });
    return next();
  };

/**
 * `/gateway/:provider/*`: the provider must be allowed; a JSON body naming a model is held to the
 * same model checks (and must belong to that provider); a call naming no model reaches the provider
 * generically, which a key restricted to some models may not do (insufficient_scope).
 */
export const passthroughScope =
  (store: SnapshotStore): Stage =>
  async (c, next) => {
    const provider = providerByPathName(c.req.param('provider') ?? '');
    if (!provider) return errorResponse(c, 'not_found', 'No such provider');
    const rest = c.req.path.slice(c.req.path.indexOf('/', '/gateway/'.length) + 1);
    if (UNSAFE_PATH.test(rest) || rest.length === 0)
      return errorResponse(c, 'invalid_request', 'The pass-through path is not allowed');
    if (!providerAllowed(c, provider.id))
      return errorResponse(c, 'provider_not_allowed', `This API key may not use the provider ${provider.id}`);
    const slug = c.get('body')?.json.model;
    if (slug !== undefined) {
      if (typeof slug !== 'string' || slug.length === 0 || slug.length > 256)
        return errorResponse(c, 'invalid_request', 'The model must be a string');
      const resolved = resolveModel(c, store, slug);
      if (!resolved.ok) return resolved.response;
      if (resolved.credential.credential.provider !== provider.id)
        return errorResponse(
          c,
          'invalid_request',
          `The model ${quote(slug)} is not served by ${provider.id}`,
        );
      c.set('target', { provider, credential: resolved.credential, model: resolved.model });
      return next();
    }
    // Restricted to some models (by the key, or by grants): no generic access to the provider.
    if (c.get('key').policy().models !== null)
      return errorResponse(c, 'insufficient_scope', 'Insufficient permissions');
    for (const credential of store.credentials.values()) {
      if (credential.credential.provider === provider.id) {
        c.set('target', { provider, credential, model: null });
        return next();
      }
    }
    return errorResponse(c, 'not_found', `This organization has no ${provider.id} credential`);
  };
