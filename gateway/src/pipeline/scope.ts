import type { SnapshotModel } from '@portcullis/shared/snapshot';
import { after, type GatewayContext, type Stage } from '../context.js';
import { errorResponse } from '../errors.js';
import type { Operation, ProviderConfig } from '../providers/index.js';
import { PROVIDER_CONFIGS, providerByPathName } from '../providers/index.js';
import type { CredentialEntry, SnapshotStore } from '../snapshot/store.js';
import { translationFor } from '../translate/index.js';

const OPERATION_ROUTE: Record<Operation, string> = {
  chat: '/v1/chat/completions',
  embeddings: '/v1/embeddings',
  messages: '/v1/messages',
};

/**
 * A pass-through path may not smuggle traversal or encoded characters to the upstream. The path has been
 * through decodeURI, so any `%` left encodes a reserved character (`/`, `:`, `?`, `#`, `%`…) that the
 * provider would decode into something else than what the gateway read (`models/x%3AgenerateContent`
 * is a generation call that does not look like one): refused whole.
 */
const UNSAFE_PATH = /(^|\/)\.\.?(\/|$)|%|\\|\/\//;

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
  const models = after(c, 'key').policy().models;
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
  const allowed = after(c, 'key').key.allowedProviders;
  return allowed.length === 0 || (allowed as string[]).includes(provider);
}

/**
 * Resolves the model named in a /v1 body to its provider and checks the key may use both (whichever wire
 * format the call uses: a call the provider does not speak natively is marked for translation).
 */
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
      const translation = translationFor(op, provider);
      if (translation) {
        c.set('target', { provider, credential: resolved.credential, model: resolved.model, translation });
        return next();
      }
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

type Resolved =
  | { ok: true; model: SnapshotModel; credential: CredentialEntry }
  | { ok: false; response: Response };

/**
 * A model named by a pass-through call (body `model`, or the path: Azure deployment, Gemini model).
 * Users copy provider docs, so the name may be the org's slug or the provider's own model name: the
 * enabled slug on this provider first, then the org's enabled models on this provider with that
 * upstream name (the first the key may use, by slug). Anything else is refused as /v1 refuses it.
 */
function resolvePassthroughModel(
  c: GatewayContext,
  store: SnapshotStore,
  provider: ProviderConfig,
  name: unknown,
): Resolved {
  if (typeof name !== 'string' || name.length === 0 || name.length > 256)
    return {
      ok: false,
      response: errorResponse(c, 'invalid_request', 'The model must be a non-empty string'),
    };
  const allowed = after(c, 'key').policy().models;
  const bySlug = store.models.get(name);
  const slugCredential = bySlug?.enabled ? store.credentials.get(bySlug.credentialId) : undefined;
  if (bySlug && slugCredential?.credential.provider === provider.id) {
    if (allowed !== null && !allowed.has(bySlug.slug))
      return {
        ok: false,
        response: errorResponse(c, 'model_not_allowed', `This API key may not use the model ${quote(name)}`),
      };
    return { ok: true, model: bySlug, credential: slugCredential };
  }
  // Not a slug here: the provider's own name. A scan, but only for names that are not slugs.
  let found: { model: SnapshotModel; credential: CredentialEntry } | null = null;
  let refused = false;
  for (const model of store.models.values()) {
    if (!model.enabled || model.upstreamModel !== name) continue;
    const credential = store.credentials.get(model.credentialId);
    if (credential?.credential.provider !== provider.id) continue;
    if (allowed !== null && !allowed.has(model.slug)) refused = true;
    else if (!found || model.slug < found.model.slug) found = { model, credential };
  }
  if (found) return { ok: true, ...found };
  if (refused)
    return {
      ok: false,
      response: errorResponse(c, 'model_not_allowed', `This API key may not use the model ${quote(name)}`),
    };
  if (slugCredential)
    return {
      ok: false,
      response: errorResponse(
        c,
        'invalid_request',
        `The model ${quote(name)} is not served by ${provider.id}`,
      ),
    };
  return {
    ok: false,
    response: errorResponse(c, 'model_not_found', `The model ${quote(name)} does not exist`),
  };
}

/**
 * `/gateway/:provider/*`: the provider must be allowed; a model named by the body's `model` or by the
 * path (Azure `deployments/<name>/…`, Gemini `models/<name>:…`) must be one the key may use (both, and
 * the same one, when both name one), and goes upstream under its upstream name with its own credential.
 * A call that names no model (files, batches, fine-tuning, stored responses, deletes…) reaches the
 * provider generically: only keys with `allowCallsWithoutModel` may make it (insufficient_scope).
 */
export const passthroughScope =
  (store: SnapshotStore): Stage =>
  async (c, next) => {
    const provider = providerByPathName(c.req.param('provider') ?? '');
    if (!provider) return errorResponse(c, 'not_found', 'No such provider');
    const path = c.req.path.slice(c.req.path.indexOf('/', '/gateway/'.length) + 1);
    if (UNSAFE_PATH.test(path) || path.length === 0)
      return errorResponse(c, 'invalid_request', 'The pass-through path is not allowed');
    if (!providerAllowed(c, provider.id))
      return errorResponse(c, 'provider_not_allowed', `This API key may not use the provider ${provider.id}`);
    const json = c.get('body')?.json;
    let resolved: Extract<Resolved, { ok: true }> | null = null;
    if (json && json.model !== undefined) {
      const r = resolvePassthroughModel(c, store, provider, json.model);
      if (!r.ok) return r.response;
      resolved = r;
    }
    let upstreamPath = path;
    const inPath = provider.pathModel?.(path);
    if (inPath) {
      const r = resolvePassthroughModel(c, store, provider, inPath.name);
      if (!r.ok) return r.response;
      if (resolved && resolved.model.id !== r.model.id)
        return errorResponse(
          c,
          'invalid_request',
          `The path names the model ${quote(inPath.name)} and the body ${quote(String(json?.model))}`,
        );
      resolved = r;
      upstreamPath = inPath.replace(r.model.upstreamModel, r.credential.credential);
    }
    if (resolved) {
      c.set('target', {
        provider,
        credential: resolved.credential,
        model: resolved.model,
        path: upstreamPath,
      });
      return next();
    }
    if (after(c, 'key').key.allowCallsWithoutModel !== true)
      return errorResponse(
        c,
        'insufficient_scope',
        'Insufficient permissions: this API key may only make calls that name a model (calls without one need allowCallsWithoutModel)',
      );
    for (const credential of store.credentials.values()) {
      if (credential.credential.provider === provider.id) {
        c.set('target', { provider, credential, model: null, path });
        return next();
      }
    }
    return errorResponse(c, 'not_found', `This organization has no ${provider.id} credential`);
  };
