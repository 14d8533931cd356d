import type { Limits } from '@portcullis/shared/api-keys';
import type { SnapshotKey } from '@portcullis/shared/snapshot';
import type { Redis } from 'ioredis';

/**
 * Per-key rate limits decided from memory, with usage shared between gateways through Redis
 * asynchronously (never on the request path).
 *
 * Each metric is a sliding window over two fixed one-minute buckets (previous minute weighted by the
 * part of it still inside the window, plus the current minute). Every `syncIntervalMs` (and sooner when
 * a key has used ≥ 5 % of a limit since the last exchange) the gateway INCRBYs its unsent deltas into
 * `portcullis:rl:{<key id>}:<metric>:<minute>` and reads back the fleet totals; between two exchanges it
 * adds its own unsent usage to the last fleet totals it saw.
 *
 * Overshoot: another gateway's usage becomes visible here at most one exchange (interval + a Redis round
 * trip) later, so the fleet can exceed a limit by at most what the *other* gateways admit during that
 * lag: ≤ (fleet admission rate × (syncIntervalMs + RTT)), never more than (N − 1) × limit. The early
 * exchange at 5 % of a limit keeps a burst's overshoot near N × 5 % of the limit while exchanges keep up, and a
 * key seen for the first time triggers an immediate exchange (a gateway that has never served a key starts
 * from zero until then). Between exchanges a gateway may spend all it knows the fleet has left: a burst
 * faster than the exchanges (a starved event loop, a slow Redis) can reach the (N − 1) × limit bound.
 * Measured (test/rate-limit-fleet.test.ts, 2 gateways, limit 100/min, local Redis): +3..+6 paced at 500 req/s fleet-wide; +30..+46 for a no-pause burst of 400 attempts on a key both
 * gateways were serving; up to +100 (= (N − 1) × limit) for the same burst on a key neither had seen
 * before the first exchange. Without Redis each
 * gateway enforces the full limit on its own (fleet worst case N × limit).
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

class KeyCounters {
  readonly windows: Record<Metric, Window> = {
    req: new Window(),
    in: new Window(),
    out: new Window(),
    tok: new Window(),
  };
  inflight = 0;
  remoteInflight = 0;
  lastUsed = 0;
  constructor(readonly id: string) {}
}

export interface RateLimitHeaders {
  [name: string]: string;
}

export type RateDecision =
  | { ok: true; headers: RateLimitHeaders; lease: RateLease }
  | { ok: false; limit: LimitName; retryAfterSeconds: number; headers: RateLimitHeaders };

export interface RateLease {
  /** Records the tokens the request used and frees its concurrency slot; idempotent. */
  finish(usage: { inputTokens: number; outputTokens: number }): void;
}

export interface RateLimiterOptions {
  /** Shared counters; null = this gateway enforces alone. */
  redis: Redis | null;
  instanceId: string;
  syncIntervalMs?: number;
  now?: () => number;
}

export class RateLimiter {
  readonly #counters = new Map<string, KeyCounters>();
  readonly #redis: Redis | null;
  readonly #instanceId: string;
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout | null;
  #syncing: Promise<void> | null = null;
  #syncAgain = false;
  /** Exchanges that failed (Redis down); for tests and logs. */
  syncFailures = 0;

  constructor(opts: RateLimiterOptions) {
    this.#redis = opts.redis;
    this.#instanceId = opts.instanceId;
    this.#now = opts.now ?? Date.now;
    this.#timer = this.#redis ? setInterval(() => void this.sync(), opts.syncIntervalMs ?? 100) : null;
    this.#timer?.unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /**
   * Admits (and counts) one request for the key, or says which limit refuses it. `limits` are the
   * key's effective limits (see snapshot/people.ts), its own by default. Counters are per key whatever
   * rule set the value: a user or group limit holds for each of their keys, not for all of them together.
   */
  check(key: Pick<SnapshotKey, 'id' | 'limits'>, limits: Limits = key.limits): RateDecision {
    const l = limits;
    const hasLimit =
      l.requestsPerMinute !== null ||
      l.tokensPerMinute !== null ||
      l.inputTokensPerMinute !== null ||
      l.outputTokensPerMinute !== null ||
      l.concurrentRequests !== null;
    if (!hasLimit) return { ok: true, headers: {}, lease: NOOP_LEASE };
    const now = this.#now();
    const minute = Math.floor(now / MINUTE);
    let counters = this.#counters.get(key.id);
    if (!counters) {
      counters = new KeyCounters(key.id);
      this.#counters.set(key.id, counters);
      // First sight of this key here: learn what the rest of the fleet has used without waiting a tick.
      if (this.#redis) this.#syncSoon();
    }
    counters.lastUsed = now;
    const w = counters.windows;
    for (const m of METRICS) w[m].roll(minute);

    const headers: RateLimitHeaders = {};
    const reqUsed = w.req.used(now);
    if (l.requestsPerMinute !== null) {
      headers['x-ratelimit-limit-requests'] = String(l.requestsPerMinute);
      headers['x-ratelimit-remaining-requests'] = String(
        Math.max(0, Math.floor(l.requestsPerMinute - reqUsed - 1)),
      );
    }
    const tokenLimit = l.tokensPerMinute;
    if (tokenLimit !== null) {
      headers['x-ratelimit-limit-tokens'] = String(tokenLimit);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(tokenLimit - w.tok.used(now))));
    }
    if (l.inputTokensPerMinute !== null) {
      headers['x-ratelimit-limit-input-tokens'] = String(l.inputTokensPerMinute);
      headers['x-ratelimit-remaining-input-tokens'] = String(
        Math.max(0, Math.floor(l.inputTokensPerMinute - w.in.used(now))),
      );
    }
    if (l.outputTokensPerMinute !== null) {
      headers['x-ratelimit-limit-output-tokens'] = String(l.outputTokensPerMinute);
      headers['x-ratelimit-remaining-output-tokens'] = String(
        Math.max(0, Math.floor(l.outputTokensPerMinute - w.out.used(now))),
      );
    }

    const refuse = (limit: LimitName, retryAfterSeconds: number): RateDecision => {
      if (limit === 'requests') headers['x-ratelimit-remaining-requests'] = '0';
      headers['retry-after'] = String(retryAfterSeconds);
      return { ok: false, limit, retryAfterSeconds, headers };
    };
    if (l.requestsPerMinute !== null && reqUsed + 1 > l.requestsPerMinute)
      return refuse('requests', w.req.retryAfter(now, l.requestsPerMinute, 1));
    // Token limits refuse once the window is full; the request's own tokens are known only afterwards.
    if (tokenLimit !== null && w.tok.used(now) >= tokenLimit)
      return refuse('tokens', w.tok.retryAfter(now, tokenLimit, 1));
    if (l.inputTokensPerMinute !== null && w.in.used(now) >= l.inputTokensPerMinute)
      return refuse('input_tokens', w.in.retryAfter(now, l.inputTokensPerMinute, 1));
    if (l.outputTokensPerMinute !== null && w.out.used(now) >= l.outputTokensPerMinute)
      return refuse('output_tokens', w.out.retryAfter(now, l.outputTokensPerMinute, 1));
    if (l.concurrentRequests !== null && counters.inflight + counters.remoteInflight >= l.concurrentRequests)
      return refuse('concurrency', 1);
    w.req.add(1);
    counters.inflight++;
    if (l.requestsPerMinute !== null && w.req.sinceSync >= Math.max(1, l.requestsPerMinute * 0.05))
      this.#syncSoon();
    const c = counters;
    let done = false;
    return {
      ok: true,
      headers,
      lease: {
        finish: ({ inputTokens, outputTokens }) => {
          if (done) return;
          done = true;
          c.inflight--;
          const m = Math.floor(this.#now() / MINUTE);
          for (const metric of METRICS) c.windows[metric].roll(m);
          if (inputTokens > 0) c.windows.in.add(inputTokens);
          if (outputTokens > 0) c.windows.out.add(outputTokens);
          if (inputTokens + outputTokens > 0) c.windows.tok.add(inputTokens + outputTokens);
        },
      },
    };
  }

  #syncSoon(): void {
    queueMicrotask(() => void this.sync());
  }

  /** One exchange with Redis: send unsent deltas, read fleet totals. Single-flight. */
  sync(): Promise<void> {
    if (!this.#redis) return Promise.resolve();
    if (this.#syncing) {
      this.#syncAgain = true;
      return this.#syncing;
    }
    this.#syncing = (async () => {
      try {
        do {
          this.#syncAgain = false;
          await this.#exchange(this.#redis as Redis);
        } while (this.#syncAgain);
      } catch {
        this.syncFailures++;
      } finally {
        this.#syncing = null;
      }
    })();
    return this.#syncing;
  }

  async #exchange(redis: Redis): Promise<void> {
    if (redis.status !== 'ready') throw new Error('redis not ready');
    const now = this.#now();
    const minute = Math.floor(now / MINUTE);
    const pipeline = redis.pipeline();
    type Read = (value: unknown) => void;
    const reads: Read[] = [];
    const sent: { w: Window; m: number; n: number }[] = [];
    for (const [id, c] of this.#counters) {
      if (now - c.lastUsed > 2 * MINUTE && c.inflight === 0) {
        let unsent = false;
        for (const m of METRICS) if (c.windows[m].pending.size > 0) unsent = true;
        if (!unsent) {
          this.#counters.delete(id);
          continue;
        }
      }
      for (const metric of METRICS) {
        const w = c.windows[metric];
        w.roll(minute);
        w.sinceSync = 0;
        const base = `portcullis:rl:{${id}}:${metric}:`;
        for (const [m, n] of w.pending) {
          if (m === minute) continue;
          pipeline.incrby(base + m, n).pexpire(base + m, 3 * MINUTE);
          sent.push({ w, m, n });
          reads.push(
            () => {},
            () => {},
          );
        }
        w.pending.delete(minute - 1);
        const n = w.pending.get(minute) ?? 0;
        if (n > 0) {
          pipeline.incrby(base + minute, n).pexpire(base + minute, 3 * MINUTE);
          sent.push({ w, m: minute, n });
          w.pending.delete(minute);
          reads.push(
            (v) => {
              if (w.minute === minute) w.fleet = Math.max(w.fleet, Number(v));
            },
            () => {},
          );
        } else {
          pipeline.get(base + minute);
          reads.push((v) => {
            if (w.minute === minute) w.fleet = Math.max(w.fleet, Number(v ?? 0));
          });
        }
        pipeline.get(base + (minute - 1));
        reads.push((v) => {
          if (w.minute === minute) w.prev = Math.max(w.prev, Number(v ?? 0));
        });
      }
      const conc = `portcullis:rl:{${id}}:conc`;
      pipeline.hset(conc, this.#instanceId, `${c.inflight}:${now}`).pexpire(conc, 10_000).hgetall(conc);
      reads.push(
        () => {},
        () => {},
        (v) => {
          let others = 0;
          for (const [instance, value] of Object.entries((v ?? {}) as Record<string, string>)) {
            if (instance === this.#instanceId) continue;
            const [count, at] = value.split(':').map(Number);
            if (count !== undefined && at !== undefined && now - at < 3000) others += count;
          }
          c.remoteInflight = others;
        },
      );
    }
    if (reads.length === 0) return;
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (err) {
      this.#restore(sent);
      throw err;
    }
    if (!results) {
      this.#restore(sent);
      throw new Error('redis pipeline discarded');
    }
    results.forEach(([err, value], i) => {
      if (!err) reads[i]?.(value);
    });
  }

  /** Puts deltas back when an exchange failed, so they are sent with the next one. */
  #restore(sent: { w: Window; m: number; n: number }[]): void {
    for (const { w, m, n } of sent) w.pending.set(m, (w.pending.get(m) ?? 0) + n);
  }
}

const NOOP_LEASE: RateLease = { finish: () => {} };
