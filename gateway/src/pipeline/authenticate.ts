import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { verify } from '@node-rs/argon2';
import { parseKey } from '@portcullis/shared/keys';
import { after, type Stage } from '../context.js';
import { errorResponse } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import { REMOVED } from '../routes/ops.js';
import type { SnapshotStore } from '../snapshot/store.js';
import { addressBucket, KeyIdThrottle, MinuteCounter, SecondBudget, VerifyGate } from './auth-guards.js';

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
  /**
   * Unproven secrets (argon2 verifications that did not succeed, counted from their start) allowed per
   * client address per minute before 429; an IPv6 client is counted per /64.
   */
  failuresPerIpPerMinute?: number;
  /** Unproven secrets allowed per key id per minute; past it, one per `keyReserveIntervalMs`. */
  failuresPerKeyPerMinute?: number;
  keyReserveIntervalMs?: number;
  /** Unproven secrets per second for the whole process, whatever their addresses and key ids. */
  failuresPerSecond?: number;
  /** Argon2 verifications running at once in this process, and how many more may wait for a slot. */
  verifyConcurrency?: number;
  verifyQueue?: number;
  /** Addresses (and key ids) whose failures are counted apart; the rest share one count. */
  failureTableSize?: number;
  positiveCacheSize?: number;
  negativeCacheSize?: number;
  /** Verifier (argon2id); injectable only so a benchmark or test can count calls. */
  verifySecret?: (hash: string, secret: string) => Promise<boolean>;
  /** The clock failure windows are read from (tests move it); Date.now by default. */
  now?: () => number;
}

/** The defaults of the settings above (AUTH_* in env.ts). */
export const AUTH_DEFAULTS = {
  failuresPerIpPerMinute: 20,
  failuresPerKeyPerMinute: 10,
  failuresPerSecond: 10,
  keyReserveIntervalMs: 5_000,
  verifyQueue: 64,
  failureTableSize: 100_000,
} as const;

/**
 * Argon2 runs on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise), which DNS
 * lookups and file writes also need, and each verification holds a core for tens of ms: half the cores,
 * at least 1 and at most 3 (one pool thread always left for the rest).
 */
export function defaultVerifyConcurrency(cpus: number): number {
  return Math.max(1, Math.min(3, Math.floor(cpus / 2)));
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
 * plaintext is never kept). A cache miss is the only way to argon2, and it is guarded (auth-guards.ts):
 * unproven secrets are counted per client address (IPv6 per /64) and per key id, each with a limit per
 * minute (a key id keeps a trickle of reserve attempts for its real holder), and for the whole process
 * per second; verifications share a small semaphore with a bounded queue. Each refusal is a quick 429 with Retry-After. A secret already
 * proven in this process is a cache hit and meets none of these.
 */
export const authenticate = (opts: AuthenticateOptions): Stage => {
  const { store, metrics } = opts;
  const maxFailures = opts.failuresPerIpPerMinute ?? AUTH_DEFAULTS.failuresPerIpPerMinute;
  const positive = new Lru<true>(opts.positiveCacheSize ?? 100_000);
  const negative = new Lru<false>(opts.negativeCacheSize ?? 10_000);
  const inflight = new Map<string, Promise<boolean>>();
  const verifySecret = opts.verifySecret ?? ((hash, secret) => verify(hash, secret));
  const now = opts.now ?? Date.now;
  const tableSize = opts.failureTableSize ?? AUTH_DEFAULTS.failureTableSize;
  const failures = new MinuteCounter(tableSize);
  const keyIds = new KeyIdThrottle(
    opts.failuresPerKeyPerMinute ?? AUTH_DEFAULTS.failuresPerKeyPerMinute,
    opts.keyReserveIntervalMs ?? AUTH_DEFAULTS.keyReserveIntervalMs,
    tableSize,
  );
  const budget = new SecondBudget(opts.failuresPerSecond ?? AUTH_DEFAULTS.failuresPerSecond);
  const gate = new VerifyGate(
    opts.verifyConcurrency ?? defaultVerifyConcurrency(availableParallelism()),
    opts.verifyQueue ?? AUTH_DEFAULTS.verifyQueue,
  );
  const tooMany = (c: Parameters<Stage>[0], message: string, retryAfter: number) =>
    errorResponse(c, 'rate_limit_exceeded', message, { 'retry-after': String(retryAfter) });

  /** One argon2 verification through the guards, or the refusal to make it. */
  const check = (c: Parameters<Stage>[0], keyId: string, hash: string, secret: string, digest: string) => {
    let pending = inflight.get(digest);
    if (pending) return pending; // the same secret, already being verified: no new attempt
    // The process-wide refusals first: under a spread-out flood they answer most requests, and cost least.
    const t = now();
    if (gate.full) return tooMany(c, 'Too many API keys are being verified at once; retry shortly', 1);
    if (budget.spent(t))
      return tooMany(c, 'Too many failed authentication attempts on this gateway; retry shortly', 1);
    const address = addressBucket(after(c, 'clientIp'));
    if (failures.get(address, t) >= maxFailures)
      return tooMany(c, 'Too many failed authentication attempts', MinuteCounter.retryAfter(t));
    const wait = keyIds.admit(keyId, t);
    if (wait > 0) return tooMany(c, 'Too many failed authentication attempts for this API key', wait);
    const second = budget.take(t);
    failures.add(address, 1, t);
    // Not null: the gate had room a moment ago, in this same tick.
    pending = (gate.run(() => verifySecret(hash, secret)) ?? Promise.resolve(false))
      .catch(() => false)
      .then((ok) => {
        if (ok) {
          // A proven secret is not a failure: take back the attempt counted at its start.
          const t2 = now();
          failures.add(address, -1, t2);
          keyIds.succeeded(keyId, t2);
          if (second !== null) budget.giveBack(second, t2);
        }
        return ok;
      });
    inflight.set(digest, pending);
    void pending.finally(() => inflight.delete(digest));
    return pending;
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
      const verified = check(c, keyId, hash, secret, digest);
      if (verified instanceof Response) return verified;
      metrics.authCache.inc({ result: 'miss' });
      ok = await verified;
      if (ok) positive.set(digest, true);
      else negative.set(digest, false);
    }
    if (!ok) return errorResponse(c, 'invalid_api_key', INVALID);
    c.set('key', entry);
    return next();
  };
};
