import { rateLimitPrefix } from '@portcullis/shared/redis-keys';
import type { SnapshotKey } from '@portcullis/shared/snapshot';
import type { Redis } from 'ioredis';
import { type ExchangeLoop, exchangeLoop, RedisExchange } from '../redis/exchange.js';
import { hasRateLimit, type ScopedLimits } from '../snapshot/people.js';

export type { ScopedLimits };

/**
 * Rate limits decided from memory, with usage shared between gateways through Redis asynchronously
 * (never on the request path).
 *
 * Scopes: a limit holds on the counters of whoever set it, as budgets do (budget/ledger.ts). A key's own
 * limits count on `key:<id>` (the key and its ephemeral tokens), its owner's on `user:<id>` (all of the
 * owner's keys), each of the owner's groups' on `group:<id>` (all members' keys), on every gateway. The
 * key's list of scopes with a limit is computed once per policy change (snapshot/people.ts); a request is
 * admitted only if every scope on it admits it, and then counts on each of them (a request and a
 * concurrency slot at admission, input/output/total tokens when it finishes); a refused one counts
 * nowhere. A key with no limit anywhere has an empty list and costs nothing here. Everything below holds
 * per scope.
 *
 * Each metric is a sliding window over two fixed one-minute buckets (previous minute weighted by the
 * part of it still inside the window, plus the current minute). Every `syncIntervalMs` (and sooner when
 * a scope has used ≥ 5 % of its requests/min since the last exchange) the gateway INCRBYs its unsent
 * deltas into `portcullis:rl:<org>:{<scope>}:<metric>:<minute>`, publishes its in-flight count in the hash
 * `portcullis:rl:<org>:{<scope>}:conc` and reads back the fleet totals; between two exchanges it adds its own
 * unsent usage to the last fleet totals it saw.
 *
 * Overshoot: another gateway's usage becomes visible here at most one exchange (interval + a Redis round
 * trip) later, so the fleet can exceed a limit by at most what the *other* gateways admit during that
 * lag: ≤ (fleet admission rate × (syncIntervalMs + RTT)), never more than (N − 1) × limit (concurrency:
 * each gateway admits up to the limit on its own count, so ≤ N × limit slots in a burst). The early
 * exchange at 5 % of a limit keeps a burst's overshoot near N × 5 % of the limit while exchanges keep
 * up, and a scope seen for the first time triggers an immediate exchange (a gateway that has never
 * counted a scope starts from zero until then). Between exchanges a gateway may spend all it knows the
 * fleet has left: a burst faster than the exchanges (many requests in one event-loop turn, a starved
 * machine, a slow Redis) reaches the (N − 1) × limit bound.
 * Measured on a shared, heavily loaded 2-core machine with a local Redis (each figure the range over
 * 5–8 runs):
 *  - test/rate-limit-fleet.test.ts, 2 gateways, limit 100/min, 600 attempts paced at 500/s fleet-wide,
 *    then no-pause bursts of 400: on one key, paced +1..+6 (once +19 with other suites running), warm
 *    burst +30..+100, cold burst +30..+100; on one user's limit over 3 keys, the same: paced +1..+6,
 *    warm +30..+100, cold +30..+100.
 *  - e2e/test/person-limits-fleet.test.ts, 3 gateway processes, one user's 30/min over 3 keys, 150
 *    parallel HTTP calls: warm (every gateway had served the user) +5..+37, cold +15..+60 (+60 = (N − 1)
 *    × limit: each gateway admitted a whole limit before an exchange came back); paced (300 ms
 *    apart) exactly the limit every run; 18 parallel slow streams against the user's 2 slots: 4..6 held.
 * Without Redis each gateway enforces the full limit on its own (fleet worst case N × limit).
 */
export type LimitName = 'requests' | 'tokens' | 'input_tokens' | 'output_tokens' | 'concurrency';
type Metric = 'req' | 'in' | 'out' | 'tok';
const METRICS: readonly Metric[] = ['req', 'in', 'out', 'tok'];
const MINUTE = 60_000;

class Window {
  minute = 0;
  /** This gateway's own count in the current minute. */
  local = 0;
  /** Fleet total of the current minute as last read (includes what this gateway has sent). */
  fleet = 0;
  /** Fleet total of the previous minute. */
  prev = 0;
  /** Unsent deltas by minute. */
  readonly pending = new Map<number, number>();
  /** Added since the last exchange started (for the early-exchange trigger). */
  sinceSync = 0;

  roll(minute: number): void {
    if (minute === this.minute) return;
    this.prev =
      minute === this.minute + 1 ? Math.max(this.local, this.fleet + this.#pendingFor(this.minute)) : 0;
    this.minute = minute;
    this.local = 0;
    this.fleet = 0;
    for (const m of this.pending.keys()) if (m < minute - 1) this.pending.delete(m);
  }

  #pendingFor(minute: number): number {
    return this.pending.get(minute) ?? 0;
  }

  current(): number {
    return Math.max(this.local, this.fleet + this.#pendingFor(this.minute));
  }

  /** Sliding-window usage at `now` (the caller has rolled the window). */
  used(now: number): number {
    const frac = (now % MINUTE) / MINUTE;
    return this.prev * (1 - frac) + this.current();
  }

  add(n: number): void {
    this.local += n;
    this.sinceSync += n;
    this.pending.set(this.minute, this.#pendingFor(this.minute) + n);
  }

  /** Seconds until `used + need ≤ limit` with no further traffic. */
  retryAfter(now: number, limit: number, need: number): number {
    const cur = this.current();
    const msIntoMinute = now % MINUTE;
    if (cur + need > limit || this.prev === 0) return Math.max(1, Math.ceil((MINUTE - msIntoMinute) / 1000));
    const fracNeeded = 1 - (limit - need - cur) / this.prev;
    const ms = fracNeeded * MINUTE - msIntoMinute;
    return Math.max(1, Math.ceil(ms / 1000));
  }
}

/** One scope's counters on this gateway (a key's, a user's or a group's). */
class ScopeCounters {
  readonly windows: Record<Metric, Window> = {
    req: new Window(),
    in: new Window(),
    out: new Window(),
    tok: new Window(),
  };
  inflight = 0;
  remoteInflight = 0;
  lastUsed = 0;
  /** `portcullis:rl:<org>:{<scope>}:` (`rateLimitPrefix`), the prefix of the scope's fleet counters. */
  readonly redisPrefix: string;
  constructor(
    readonly scope: string,
    orgId: string,
  ) {
    this.redisPrefix = rateLimitPrefix(orgId, scope);
  }

  roll(minute: number): void {
    const w = this.windows;
    w.req.roll(minute);
    w.in.roll(minute);
    w.out.roll(minute);
    w.tok.roll(minute);
  }
}

export interface RateLimitHeaders {
  [name: string]: string;
}

export type RateDecision =
  | { ok: true; headers: RateLimitHeaders; lease: RateLease }
  | {
      ok: false;
      limit: LimitName;
      /** The scope whose limit refused (`key:<id>`, `user:<id>`, `group:<id>`) and who set it. */
      scope: string;
      label: string;
      retryAfterSeconds: number;
      headers: RateLimitHeaders;
    };

export interface RateLease {
  /** Records the tokens the request used and frees its concurrency slot; idempotent. */
  finish(usage: { inputTokens: number; outputTokens: number }): void;
}

export interface RateLimiterOptions {
  /** Shared counters; null = this gateway enforces alone. */
  redis: Redis | null;
  instanceId: string;
  /**
   * The organization the gateway serves (its snapshot's), the org segment of every key: a gateway's
   * Redis user may only touch its own organization's keys (`gatewayAclRules`).
   */
  orgId?: () => string | null;
  syncIntervalMs?: number;
  now?: () => number;
}

/** The org segment of keys before the gateway knows its organization (tests without one). */
const NO_ORG = '_';
const NOOP_LEASE: RateLease = { finish: () => {} };
/** The answer for a key that nothing limits: shared, never written to. */
const UNLIMITED: RateDecision = {
  ok: true,
  headers: Object.freeze({}) as RateLimitHeaders,
  lease: NOOP_LEASE,
};

/** A key's own limits as a scope list (callers without a people policy, tests); [] when it has none. */
export function keyLimits(key: Pick<SnapshotKey, 'id' | 'limits'>): ScopedLimits[] {
  return hasRateLimit(key.limits) ? [{ scope: `key:${key.id}`, label: 'this key', limits: key.limits }] : [];
}

export class RateLimiter {
  readonly #counters = new Map<string, ScopeCounters>();
  /** The counters of the scopes being checked, reused by every check (synchronous, so never shared). */
  readonly #checking: ScopeCounters[] = [];
  readonly #redis: Redis | null;
  readonly #instanceId: string;
  readonly #orgId: () => string | null;
  readonly #now: () => number;
  readonly #loop: ExchangeLoop | null;
  /** Exchanges that failed (Redis down); for tests and logs. */
  syncFailures = 0;

  constructor(opts: RateLimiterOptions) {
    this.#redis = opts.redis;
    this.#instanceId = opts.instanceId;
    this.#orgId = opts.orgId ?? (() => null);
    this.#now = opts.now ?? Date.now;
    this.#loop = exchangeLoop(
      opts.redis,
      (r) => this.#exchange(r),
      opts.syncIntervalMs ?? 100,
      () => {
        this.syncFailures++;
      },
    );
  }

  close(): void {
    this.#loop?.close();
  }

  /**
   * Admits one request against every scope of `scopes` (a key's, computed once per policy change by
   * snapshot/people.ts: its own limits, its owner's, each of the owner's groups'), or says which limit
   * of which scope refuses it. Admitted, it counts on every one of them; refused, on none. The headers
   * report, per limit, the scope with the least left.
   */
  check(scopes: readonly ScopedLimits[]): RateDecision {
    const n = scopes.length;
    if (n === 0) return UNLIMITED;
    const now = this.#now();
    const minute = Math.floor(now / MINUTE);
    const checking = this.#checking;
    // The tightest limit per metric (limit < 0: none) and what it has left before this request.
    let reqLimit = -1;
    let reqLeft = 0;
    let tokLimit = -1;
    let tokLeft = 0;
    let inLimit = -1;
    let inLeft = 0;
    let outLimit = -1;
    let outLeft = 0;
    // The first refusal, in scope order, then limit order.
    let refusedBy = -1;
    let refusedLimit: LimitName = 'requests';
    let retryAfter = 0;
    for (let i = 0; i < n; i++) {
      const s = scopes[i] as ScopedLimits;
      let c = this.#counters.get(s.scope);
      if (c === undefined) {
        c = new ScopeCounters(s.scope, this.#orgId() ?? NO_ORG);
        this.#counters.set(s.scope, c);
        // First sight of this scope here: learn what the rest of the fleet has used without waiting a tick.
        if (this.#redis) this.#syncSoon();
      }
      checking[i] = c;
      c.lastUsed = now;
      c.roll(minute);
      const l = s.limits;
      const w = c.windows;
      if (l.requestsPerMinute !== null) {
        const used = w.req.used(now);
        const left = l.requestsPerMinute - used - 1;
        if (reqLimit < 0 || left < reqLeft) {
          reqLimit = l.requestsPerMinute;
          reqLeft = left;
        }
        if (refusedBy < 0 && left < 0) {
          refusedBy = i;
          refusedLimit = 'requests';
          retryAfter = w.req.retryAfter(now, l.requestsPerMinute, 1);
        }
      }
      // Token limits refuse once the window is full; the request's own tokens are known only afterwards.
      if (l.tokensPerMinute !== null) {
        const left = l.tokensPerMinute - w.tok.used(now);
        if (tokLimit < 0 || left < tokLeft) {
          tokLimit = l.tokensPerMinute;
          tokLeft = left;
        }
        if (refusedBy < 0 && left <= 0) {
          refusedBy = i;
          refusedLimit = 'tokens';
          retryAfter = w.tok.retryAfter(now, l.tokensPerMinute, 1);
        }
      }
      if (l.inputTokensPerMinute !== null) {
        const left = l.inputTokensPerMinute - w.in.used(now);
        if (inLimit < 0 || left < inLeft) {
          inLimit = l.inputTokensPerMinute;
          inLeft = left;
        }
        if (refusedBy < 0 && left <= 0) {
          refusedBy = i;
          refusedLimit = 'input_tokens';
          retryAfter = w.in.retryAfter(now, l.inputTokensPerMinute, 1);
        }
      }
      if (l.outputTokensPerMinute !== null) {
        const left = l.outputTokensPerMinute - w.out.used(now);
        if (outLimit < 0 || left < outLeft) {
          outLimit = l.outputTokensPerMinute;
          outLeft = left;
        }
        if (refusedBy < 0 && left <= 0) {
          refusedBy = i;
          refusedLimit = 'output_tokens';
          retryAfter = w.out.retryAfter(now, l.outputTokensPerMinute, 1);
        }
      }
      if (
        refusedBy < 0 &&
        l.concurrentRequests !== null &&
        c.inflight + c.remoteInflight >= l.concurrentRequests
      ) {
        refusedBy = i;
        refusedLimit = 'concurrency';
        retryAfter = 1;
      }
    }

    const headers: RateLimitHeaders = {};
    if (reqLimit >= 0) {
      headers['x-ratelimit-limit-requests'] = String(reqLimit);
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, Math.floor(reqLeft)));
    }
    if (tokLimit >= 0) {
      headers['x-ratelimit-limit-tokens'] = String(tokLimit);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(tokLeft)));
    }
    if (inLimit >= 0) {
      headers['x-ratelimit-limit-input-tokens'] = String(inLimit);
      headers['x-ratelimit-remaining-input-tokens'] = String(Math.max(0, Math.floor(inLeft)));
    }
    if (outLimit >= 0) {
      headers['x-ratelimit-limit-output-tokens'] = String(outLimit);
      headers['x-ratelimit-remaining-output-tokens'] = String(Math.max(0, Math.floor(outLeft)));
    }
    if (refusedBy >= 0) {
      const s = scopes[refusedBy] as ScopedLimits;
      headers['retry-after'] = String(retryAfter);
      return {
        ok: false,
        limit: refusedLimit,
        scope: s.scope,
        label: s.label,
        retryAfterSeconds: retryAfter,
        headers,
      };
    }

    let syncSoon = false;
    for (let i = 0; i < n; i++) {
      const c = checking[i] as ScopeCounters;
      const w = c.windows.req;
      w.add(1);
      c.inflight++;
      const rpm = (scopes[i] as ScopedLimits).limits.requestsPerMinute;
      if (rpm !== null && w.sinceSync >= Math.max(1, rpm * 0.05)) syncSoon = true;
    }
    if (syncSoon && this.#redis) this.#syncSoon();
    return { ok: true, headers, lease: new Lease(this.#counters, scopes, this.#now) };
  }

  #syncSoon(): void {
    queueMicrotask(() => void this.sync());
  }

  /** One exchange with Redis: send unsent deltas, read fleet totals. Single-flight. */
  sync(): Promise<void> {
    return this.#loop?.sync() ?? Promise.resolve();
  }

  async #exchange(redis: Redis): Promise<void> {
    const x = new RedisExchange(redis);
    const now = this.#now();
    const minute = Math.floor(now / MINUTE);
    for (const [scope, c] of this.#counters) {
      if (now - c.lastUsed > 2 * MINUTE && c.inflight === 0) {
        let unsent = false;
        for (const m of METRICS) if (c.windows[m].pending.size > 0) unsent = true;
        if (!unsent) {
          this.#counters.delete(scope);
          continue;
        }
      }
      for (const metric of METRICS) {
        const w = c.windows[metric];
        w.roll(minute);
        w.sinceSync = 0;
        const base = `${c.redisPrefix}${metric}:`;
        for (const [m, n] of w.pending) {
          if (m === minute) continue;
          x.incrby(base + m, n, { failed: restore(w, m, n) }).pexpire(base + m, 3 * MINUTE);
        }
        w.pending.delete(minute - 1);
        const n = w.pending.get(minute) ?? 0;
        if (n > 0) {
          w.pending.delete(minute);
          x.incrby(base + minute, n, {
            reply: (v) => {
              if (w.minute === minute) w.fleet = Math.max(w.fleet, Number(v));
            },
            failed: restore(w, minute, n),
          }).pexpire(base + minute, 3 * MINUTE);
        } else {
          x.get(base + minute, {
            reply: (v) => {
              if (w.minute === minute) w.fleet = Math.max(w.fleet, Number(v ?? 0));
            },
          });
        }
        x.get(base + (minute - 1), {
          reply: (v) => {
            if (w.minute === minute) w.prev = Math.max(w.prev, Number(v ?? 0));
          },
        });
      }
      const conc = `${c.redisPrefix}conc`;
      x.hset(conc, this.#instanceId, `${c.inflight}:${now}`)
        .pexpire(conc, 10_000)
        .hgetall(conc, {
          reply: (v) => {
            let others = 0;
            for (const [instance, value] of Object.entries(v ?? {})) {
              if (instance === this.#instanceId) continue;
              const [count, at] = value.split(':').map(Number);
              if (count !== undefined && at !== undefined && now - at < 3000) others += count;
            }
            c.remoteInflight = others;
          },
        });
    }
    await x.run();
  }
}

/**
 * Puts a delta back when the exchange that carried it failed as a whole, so it is sent with the next
 * one. A delta whose command failed alone is dropped (ioredis reports a connection lost mid-exchange
 * that way too).
 */
function restore(w: Window, m: number, n: number): (how: 'command' | 'exchange') => void {
  return (how) => {
    if (how === 'exchange') w.pending.set(m, (w.pending.get(m) ?? 0) + n);
  };
}

/**
 * An admitted request's hold on the scopes it counted on. Their counters are looked up again when it
 * finishes: a scope with a request in flight is never dropped, and the list is the one it was admitted
 * with (a policy change in between does not move its tokens or its slot elsewhere).
 */
class Lease implements RateLease {
  #done = false;
  constructor(
    private readonly counters: Map<string, ScopeCounters>,
    private readonly scopes: readonly ScopedLimits[],
    private readonly now: () => number,
  ) {}

  finish({ inputTokens, outputTokens }: { inputTokens: number; outputTokens: number }): void {
    if (this.#done) return;
    this.#done = true;
    const minute = Math.floor(this.now() / MINUTE);
    for (let i = 0; i < this.scopes.length; i++) {
      const c = this.counters.get((this.scopes[i] as ScopedLimits).scope);
      if (c === undefined) continue;
      c.inflight--;
      c.roll(minute);
      if (inputTokens > 0) c.windows.in.add(inputTokens);
      if (outputTokens > 0) c.windows.out.add(outputTokens);
      if (inputTokens + outputTokens > 0) c.windows.tok.add(inputTokens + outputTokens);
    }
  }
}
