import { createHash } from 'node:crypto';
import { verify } from '@node-rs/argon2';
import { parseKey } from '@portcullis/shared/keys';
import type { Stage } from '../context.js';
import { errorResponse } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import { REMOVED } from '../routes/ops.js';
import type { SnapshotStore } from '../snapshot/store.js';

/** A Map used as an LRU: a hit moves the entry to the back; the front is evicted. */
class Lru<V> {
  readonly #map = new Map<string, V>();
  constructor(readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.#map.get(k);
    if (v !== undefined) {
      this.#map.delete(k);
      this.#map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.#map.delete(k);
    this.#map.set(k, v);
    if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value as string);
  }
}

export interface AuthenticateOptions {
  store: SnapshotStore;
  metrics: GatewayMetrics;
  /** Failed argon2 verifications allowed per source IP per minute before 429. */
  failuresPerIpPerMinute?: number;
  positiveCacheSize?: number;
  negativeCacheSize?: number;
  /** Verifier (argon2id); injectable only so a benchmark can count calls. */
  verifySecret?: (hash: string, secret: string) => Promise<boolean>;
}

const INVALID = 'Invalid API key';

type Presented = { ok: true; value: string } | { ok: false };

/** The key from `Authorization: Bearer` or `x-api-key`; both present must agree. */
function presentedKey(authorization: string | undefined, apiKey: string | undefined): Presented {
  let bearer: string | undefined;
  if (authorization !== undefined) {
    const m = /^Bearer +(\S+)$/i.exec(authorization);
    if (!m) return { ok: false };
    bearer = m[1];
  }
  const fromHeader = apiKey?.trim();
  if (bearer !== undefined && fromHeader !== undefined && bearer !== fromHeader) return { ok: false };
  const value = bearer ?? fromHeader;
  return value ? { ok: true, value } : { ok: false };
}

/**
 * Authenticates the presented key, or ephemeral token (which then stands for its parent key). Shape and
 * checksum are checked without a lookup; the secret is verified with argon2 once per (key or token, hash
 * version, presented secret) and the answer cached, positive and negative, under a SHA-256 digest (the
 * plaintext is never kept). Failed verifications are counted per source IP so a flood of bad secrets
 * gets 429 instead of burning CPU.
 */
export const authenticate = (opts: AuthenticateOptions): Stage => {
  const { store, metrics } = opts;
  const maxFailures = opts.failuresPerIpPerMinute ?? 20;
  const positive = new Lru<true>(opts.positiveCacheSize ?? 100_000);
  const negative = new Lru<false>(opts.negativeCacheSize ?? 10_000);
  const inflight = new Map<string, Promise<boolean>>();
  const verifySecret = opts.verifySecret ?? ((hash, secret) => verify(hash, secret));
  let failureMinute = 0;
  const failures = new Map<string, number>();

  const failuresOf = (ip: string): number => {
    const minute = Math.floor(Date.now() / 60_000);
    if (minute !== failureMinute || failures.size > 100_000) {
      failureMinute = minute;
      failures.clear();
    }
    return failures.get(ip) ?? 0;
  };

  return async (c, next) => {
    if (store.version === null)
      return store.removed
        ? errorResponse(c, 'gateway_removed', REMOVED)
        : errorResponse(c, 'gateway_not_ready', 'The gateway has not loaded a snapshot yet');
    const presented = presentedKey(c.req.header('authorization'), c.req.header('x-api-key'));
    if (!presented.ok) return errorResponse(c, 'invalid_api_key', INVALID);
    const parsed = parseKey(presented.value);
    if (!parsed.ok) return errorResponse(c, 'invalid_api_key', INVALID);
    const { keyId, secret } = parsed.value;
    // A key, or else an ephemeral token (same id space): its own secret, then it acts as its parent.
    let entry = store.keys.get(keyId);
    let hash: string | null;
    if (entry) hash = entry.key.secretHash;
    else {
      const token = store.ephemeralTokens.get(keyId);
      const parent = token && store.keyByRecordId(token.token.apiKeyId);
      if (!token || !parent) return errorResponse(c, 'invalid_api_key', INVALID);
      entry = token.as(parent);
      hash = parent.key.secretHash === null ? null : token.token.secretHash;
    }
    if (hash === null) {
      // Nothing to verify against: a revoked key (and its tokens) says so; nothing else can authenticate.
      return entry.key.status === 'revoked'
        ? errorResponse(c, 'key_revoked', 'API key has been revoked')
        : errorResponse(c, 'invalid_api_key', INVALID);
    }
    // The stored hash changes on every rotation, so it versions the cache entry.
    const digest = createHash('sha256')
      .update(keyId)
      .update('\0')
      .update(hash)
      .update('\0')
      .update(secret)
      .digest('base64');
    let ok: boolean | undefined = positive.get(digest) ?? negative.get(digest);
    if (ok !== undefined) {
      metrics.authCache.inc({ result: 'hit' });
    } else {
      const ip = c.get('clientIp');
      if (failuresOf(ip) >= maxFailures) {
        return errorResponse(c, 'rate_limit_exceeded', 'Too many failed authentication attempts', {
          'retry-after': String(60 - Math.floor((Date.now() % 60_000) / 1000)),
        });
      }
      metrics.authCache.inc({ result: 'miss' });
      let pending = inflight.get(digest);
      if (!pending) {
        pending = verifySecret(hash, secret).catch(() => false);
        inflight.set(digest, pending);
        void pending.finally(() => inflight.delete(digest));
      }
      ok = await pending;
      if (ok) positive.set(digest, true);
      else {
        negative.set(digest, false);
        failures.set(ip, failuresOf(ip) + 1);
      }
    }
    if (!ok) return errorResponse(c, 'invalid_api_key', INVALID);
    c.set('key', entry);
    return next();
  };
};
