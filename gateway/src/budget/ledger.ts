import { BUDGET_GRANT_SCRIPT, budgetGatewaysKey, budgetKey } from '@portcullis/shared/redis-keys';
import type { SnapshotKey } from '@portcullis/shared/snapshot';
import { type BudgetPeriod, periodEnd, periodId, periodStart, usdToMicro } from '@portcullis/shared/usage';
import type { Redis } from 'ioredis';
import { type ExchangeLoop, exchangeLoop, RedisExchange } from '../redis/exchange.js';
import type { ScopedBudget } from '../snapshot/people.js';

export type { ScopedBudget };

/**
 * USD budgets decided from memory, with the fleet's spend held in Redis.
 *
 * Scopes: a request is held to every budget of its key's effective policy (snapshot/people.ts): the
 * key's own (scope `key:<id>`), its owner's (`user:<id>`) and each of the owner's groups'
 * (`group:<id>`). Each scope and period is one counter, shared by every key it covers, and the request
 * reserves its maximum cost in each; if any is spent, what it took from the others is given back and
 * it is refused. Everything below holds per counter.
 *
 * Counting: a request reserves its maximum cost on admission (see pipeline/budget.ts for the
 * estimate) and, when it finishes (complete, aborted, failed), replaces the reservation with its real
 * cost. The fleet counter `portcullis:budget:<org>:{<scope>}:<periodId>` (`budgetKey`) (micro-USD) holds the fleet's
 * settled spend, its outstanding reservations and the allowances gateways hold unspent.
 *
 * Allowances: a gateway admits from a local allowance it was granted out of the fleet counter, so the
 * hot path is a subtraction in memory. A grant is one atomic Lua call that raises the counter to the
 * snapshot floor if it is below it (the snapshot's `budget.spentUsd` when `budget.spentPeriod` is the
 * current period: a Redis that lost its data cannot re-open a spent budget), checks what is free
 * (`limit − counter`) and adds the grant, so the grants of all gateways together never exceed the
 * limit. Grants are prefetched asynchronously when an allowance runs low, sized to 5 % of the limit but
 * at most 1/(2N) of what is free (N = gateways alive on this Redis, from a heartbeat), so no gateway
 * hoards what others need near the end. A request the allowance cannot cover waits for a grant (one
 * Redis round trip; single-flight per key, sized for everyone waiting): on first sight of a key's
 * period, in a burst larger than the allowance, and near exhaustion. Everything else is synchronous.
 * Every ~100 ms an exchange gives back allowances idle for 2 s (or of a period that ended, or beyond
 * twice the block size), sends debts (see below) and reads totals; what settling returned (reservation
 * − real cost) joins the allowance.
 *
 * Periods come from the injectable clock (`periodId` in usage.ts), so spend resets at the boundary;
 * a reservation settles into the period it was taken in.
 *
 * Worst-case overshoot above the limit:
 *  - concurrency, any number of gateways reading Redis: none. Every admission is covered by allowance
 *    granted atomically against the limit.
 *  - estimates: a request whose real cost exceeds its reservation adds the difference (as a debt sent
 *    with the next exchange). Output is bounded by the max tokens the request states (providers enforce
 *    it); without one the default cap (4096) is a guess, and the input estimate (bytes / 4) can be low
 *    for non-Latin text.
 *  - Redis unreachable: each gateway admits alone against the last total it read (its admissions
 *    become a debt sent when Redis is back), so the fleet can spend up to N × what was left.
 *  - Redis that lost its data: the counter restarts from the snapshot floor, which lacks the
 *    allowances granted before (≤ one block, 5 % of the limit, per gateway) and the spend the control
 *    plane had not counted yet when it built the snapshot.
 * Undershoot: an allowance held unspent by one gateway (≤ one block) is not available to the others
 * until it is given back (after 2 s idle), and a gateway that dies leaves its allowance and in-flight
 * reservations counted until the period ends.
 * Measured (e2e/test/budget-fleet.test.ts: 2 gateway processes, local Redis, 50 concurrent requests
 * on a budget of 10.5 requests, 4 runs): 10 answered every time, overshoot 0, no contention refusals.
 * Grants rather than the rate limiter's share of what was last read: a read misses what the other
 * gateways admitted but have not sent yet.
 */
export interface BudgetLedgerOptions {
  /** Shared counters; null = this gateway enforces alone. */
  redis: Redis | null;
  instanceId: string;
  /** The organization the gateway serves: the org segment of every key (see RateLimiterOptions). */
  orgId?: () => string | null;
  syncIntervalMs?: number;
  /** The clock periods are read from (tests move it across a period boundary). */
  now?: () => number;
  /** How many grants a request may wait for before it is refused (contention). */
  maxWaits?: number;
}

/** A granted reservation; `settle` replaces it with the real cost (idempotent). */
export interface Reservation {
  readonly reservedMicro: number;
  settle(costMicro: number): void;
}

export type BudgetDecision =
  | { ok: true; reservation: Reservation }
  | {
      ok: false;
      /** `spent`: the cap is reached; `contention`: no grant came through in time. */
      reason: 'spent' | 'contention';
      usedMicro: number;
      limitMicro: number;
      period: BudgetPeriod;
      /** Seconds until the period ends (null for lifetime budgets). */
      retryAfterSeconds: number | null;
      /** The budget that refused: its scope (`key:<id>`, …) and who set it. */
      scope: string;
      label: string;
    };

/** The org segment of keys before the gateway knows its organization (tests without one). */
const NO_ORG = '_';
const HEARTBEAT_MS = 1000;
/** A gateway counts towards N while its last heartbeat is this recent. */
const LIVE_MS = 3000;
const IDLE_GIVE_BACK_MS = 2000;
const DAY = 86_400_000;

type GrantingRedis = Redis & {
  budgetGrant(
    key: string,
    floor: number,
    limit: number,
    need: number,
    want: number,
    n: number,
    expireAt: number,
  ): Promise<[number, number]>;
};

/** One scope's counter for one period. */
class PeriodCounter {
  /** The fleet counter as last seen (includes this gateway's allowance). */
  fleet = 0;
  /** Granted and not yet reserved; negative = a debt not yet added to the fleet counter. */
  allowance = 0;
  /** Reservations taken here and not yet settled. */
  outstanding = 0;
  /** Requests waiting for a grant, and their reservations (sizes the next grant). */
  waiting = 0;
  waitingMicro = 0;
  granting: Promise<void> | null = null;
  /** The grant size of the key's budget as last seen. */
  block = 1;
  /** Wall-clock time of the last read of the fleet counter. */
  readAt = 0;
  lastUsed = 0;
  readonly redisKey: string;
  constructor(
    readonly scope: string,
    readonly period: BudgetPeriod,
    readonly pid: string,
    readonly start: number,
    readonly end: number,
    orgId: string,
  ) {
    this.redisKey = budgetKey(orgId, scope, pid);
  }
}

interface Terms {
  limit: number;
  floor: number;
  block: number;
  scope: string;
  label: string;
}

/** A key's own budget as a scoped one (what `usedMicro` and callers without a policy use). */
export function keyBudget(key: SnapshotKey): ScopedBudget | null {
  const b = key.budget;
  if (!b) return null;
  return {
    scope: `key:${key.id}`,
    label: 'this key',
    limitUsd: b.limitUsd,
    period: b.period,
    spentUsd: b.spentUsd,
    spentPeriod: b.spentPeriod,
  };
}

export class BudgetLedger {
  /**
   * The counter of each scope's current period (the one new requests reserve in), by scope and period
   * kind: a user or group may hold a daily, a weekly and a monthly budget at once.
   */
  readonly #current = new Map<string, PeriodCounter>();
  /** Every counter with state worth keeping (current ones, and past ones still settling). */
  readonly #counters = new Set<PeriodCounter>();
  readonly #redis: GrantingRedis | null;
  readonly #instanceId: string;
  readonly #orgId: () => string | null;
  readonly #now: () => number;
  readonly #maxWaits: number;
  readonly #loop: ExchangeLoop | null;
  /** Gateways alive on this Redis (self included), as last read. */
  #gateways = 1;
  #lastBeat = 0;
  /** Exchanges and grants that failed (Redis down); for tests and logs. */
  syncFailures = 0;

  constructor(opts: BudgetLedgerOptions) {
    const redis = opts.redis as GrantingRedis | null;
    if (redis && typeof redis.budgetGrant !== 'function')
      redis.defineCommand('budgetGrant', { numberOfKeys: 1, lua: BUDGET_GRANT_SCRIPT });
    this.#redis = redis;
    this.#instanceId = opts.instanceId;
    this.#orgId = opts.orgId ?? (() => null);
    this.#now = opts.now ?? Date.now;
    this.#maxWaits = opts.maxWaits ?? 50;
    this.#loop = exchangeLoop(
      redis,
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

  get #shared(): boolean {
    return this.#redis?.status === 'ready';
  }

  /**
   * Reserves `maxMicro` against every one of `budgets` (a key's effective budgets), or refuses with the
   * first that cannot cover it, giving back what the others reserved. Synchronous when the allowances
   * cover it (or Redis is away); otherwise waits for grants.
   */
  reserve(budgets: readonly ScopedBudget[], maxMicro: number): BudgetDecision | Promise<BudgetDecision> {
    const first = budgets[0];
    if (first === undefined) return { ok: true, reservation: NOOP };
    if (budgets.length === 1) return this.#reserveOne(first, maxMicro);
    const taken: Reservation[] = [];
    for (let i = 0; i < budgets.length; i++) {
      const d = this.#reserveOne(budgets[i] as ScopedBudget, maxMicro);
      if (d instanceof Promise) return this.#reserveRest(budgets, i, d, taken, maxMicro);
      if (!d.ok) return release(taken, d);
      taken.push(d.reservation);
    }
    return { ok: true, reservation: combined(taken) };
  }

  async #reserveRest(
    budgets: readonly ScopedBudget[],
    from: number,
    pending: Promise<BudgetDecision>,
    taken: Reservation[],
    maxMicro: number,
  ): Promise<BudgetDecision> {
    let d = await pending;
    for (let i = from; ; ) {
      if (!d.ok) return release(taken, d);
      taken.push(d.reservation);
      if (++i >= budgets.length) break;
      const next = this.#reserveOne(budgets[i] as ScopedBudget, maxMicro);
      d = next instanceof Promise ? await next : next;
    }
    return { ok: true, reservation: combined(taken) };
  }

  #reserveOne(budget: ScopedBudget, maxMicro: number): BudgetDecision | Promise<BudgetDecision> {
    const now = this.#now();
    const c = this.#counter(budget.scope, budget.period, now);
    c.lastUsed = now;
    const t = this.#terms(budget, c);
    c.block = t.block;
    const r = Math.max(0, Math.ceil(maxMicro));
    // Nothing to reserve (no known price): admitted while the budget is not spent.
    if (r === 0) return this.#used(c, t) < t.limit ? this.#take(c, 0, t) : this.#refuse(c, t, 'spent');
    if (c.allowance >= r) return this.#take(c, r, t);
    if (!this.#shared) return this.#alone(c, r, t);
    return this.#awaitGrant(c, r, t);
  }

  async #awaitGrant(c: PeriodCounter, r: number, t: Terms): Promise<BudgetDecision> {
    c.waiting++;
    c.waitingMicro += r;
    try {
      for (let i = 0; i < this.#maxWaits; i++) {
        if (c.allowance >= r) return this.#take(c, r, t);
        if (!this.#shared) return this.#alone(c, r, t);
        if (c.granting) {
          await c.granting;
          continue;
        }
        const need = r - c.allowance;
        const refused = await this.#grant(c, t, need, Math.max(need, c.waitingMicro - c.allowance, t.block));
        if (c.allowance >= r) return this.#take(c, r, t);
        // Not even this request's need was free: the budget is spent.
        if (refused) return this.#refuse(c, t, 'spent');
      }
      return this.#refuse(c, t, 'contention');
    } finally {
      c.waiting--;
      c.waitingMicro -= r;
    }
  }

  /** Asks Redis for allowance (single-flight per counter); resolves true when `need` was not free. */
  #grant(c: PeriodCounter, t: Terms, need: number, want: number): Promise<boolean> {
    let refused = false;
    const run = (async () => {
      try {
        const [granted, total] = await (this.#redis as GrantingRedis).budgetGrant(
          c.redisKey,
          t.floor,
          t.limit,
          need,
          want,
          this.#gateways,
          c.period === 'lifetime' ? 0 : c.end + DAY,
        );
        c.allowance += Number(granted);
        c.fleet = Number(total);
        c.readAt = Date.now();
        refused = Number(granted) === 0 && need > 0;
      } catch {
        this.syncFailures++;
      } finally {
        c.granting = null;
      }
    })();
    c.granting = run;
    return run.then(() => refused);
  }

  /** Without Redis: admit against the last fleet total read plus what this gateway added since. */
  #alone(c: PeriodCounter, r: number, t: Terms): BudgetDecision {
    if (this.#used(c, t) + r > t.limit) return this.#refuse(c, t, 'spent');
    return this.#take(c, r, t);
  }

  /** What the fleet has used as far as this gateway knows (its own unspent allowance excluded). */
  #used(c: PeriodCounter, t: Terms): number {
    return Math.max(c.fleet, t.floor) - c.allowance;
  }

  #terms(b: ScopedBudget, c: PeriodCounter): Terms {
    const limit = usdToMicro(b.limitUsd);
    const floor = b.spentUsd !== undefined && b.spentPeriod === c.pid ? usdToMicro(b.spentUsd) : 0;
    return { limit, floor, block: Math.max(1, Math.floor(limit * 0.05)), scope: b.scope, label: b.label };
  }

  #refuse(c: PeriodCounter, t: Terms, reason: 'spent' | 'contention'): BudgetDecision {
    return {
      ok: false,
      reason,
      usedMicro: Math.max(0, this.#used(c, t)),
      limitMicro: t.limit,
      period: c.period,
      retryAfterSeconds:
        reason === 'contention'
          ? 1
          : c.period === 'lifetime'
            ? null
            : Math.max(1, Math.ceil((c.end - this.#now()) / 1000)),
      scope: t.scope,
      label: t.label,
    };
  }

  #take(c: PeriodCounter, reserved: number, t: Terms): BudgetDecision {
    c.allowance -= reserved;
    c.outstanding++;
    // Running low: fetch the next block before a request has to wait for it.
    if (c.allowance < t.block / 2 && !c.granting && this.#shared)
      void this.#grant(c, t, 1, t.block - Math.min(0, c.allowance));
    let settled = false;
    return {
      ok: true,
      reservation: {
        reservedMicro: reserved,
        settle: (cost: number) => {
          if (settled) return;
          settled = true;
          c.outstanding--;
          c.allowance += reserved - Math.max(0, Math.ceil(cost));
        },
      },
    };
  }

  #counter(scope: string, period: BudgetPeriod, now: number): PeriodCounter {
    const c = this.#current.get(`${scope}/${period}`);
    if (c && c.period === period && now >= c.start && now < c.end) return c;
    const start = periodStart(period, now);
    const fresh = new PeriodCounter(
      scope,
      period,
      periodId(period, now),
      start,
      periodEnd(period, now),
      this.#orgId() ?? NO_ORG,
    );
    this.#current.set(`${scope}/${period}`, fresh);
    this.#counters.add(fresh);
    return fresh;
  }

  /** Micro-USD this gateway knows the key's own budget has used this period (tests, diagnostics). */
  usedMicro(key: SnapshotKey): number {
    const budget = keyBudget(key);
    return budget ? this.usedMicroOf(budget) : 0;
  }

  /** Micro-USD this gateway knows a scope's current period has used. */
  usedMicroOf(budget: ScopedBudget): number {
    const c = this.#counter(budget.scope, budget.period, this.#now());
    return this.#used(c, this.#terms(budget, c));
  }

  /** One exchange with Redis: give back idle allowances, send debts, read totals. Single-flight. */
  sync(): Promise<void> {
    return this.#loop?.sync() ?? Promise.resolve();
  }

  async #exchange(redis: GrantingRedis): Promise<void> {
    const x = new RedisExchange(redis);
    const now = this.#now();
    const wall = Date.now();
    for (const c of this.#counters) {
      if (c.granting) continue;
      const current = this.#current.get(`${c.scope}/${c.period}`) === c;
      const over = now >= c.end || !current;
      const idle = now - c.lastUsed >= IDLE_GIVE_BACK_MS;
      if (
        c.allowance === 0 &&
        c.outstanding === 0 &&
        c.waiting === 0 &&
        (over || now - c.lastUsed > 600_000)
      ) {
        this.#counters.delete(c);
        if (current) this.#current.delete(`${c.scope}/${c.period}`);
        continue;
      }
      let delta = 0;
      if (c.allowance < 0) delta = -c.allowance;
      else if (c.allowance > 0 && c.outstanding === 0 && c.waiting === 0 && (idle || over))
        delta = -c.allowance;
      // Settled costs below their reservations pile up here: beyond two blocks, return all but one.
      else if (c.allowance > 2 * c.block && c.waiting === 0) delta = c.block - c.allowance;
      if (delta !== 0) {
        // The allowance moves before the answer comes; a command that fails moves it back.
        c.allowance += delta;
        x.incrby(c.redisKey, delta, {
          reply: this.#readTotal(c),
          failed: () => {
            c.allowance -= delta;
          },
        });
      } else if (now - c.lastUsed < 10_000 || wall - c.readAt >= HEARTBEAT_MS) {
        x.get(c.redisKey, { reply: this.#readTotal(c) });
      }
    }
    if (wall - this.#lastBeat >= HEARTBEAT_MS || x.size > 0) {
      // Presence: which of the organization's gateways share this Redis (and so the budgets), to size grants.
      const gatewaysKey = budgetGatewaysKey(this.#orgId() ?? NO_ORG);
      x.hset(gatewaysKey, this.#instanceId, String(wall), {
        reply: () => {
          this.#lastBeat = wall;
        },
      })
        .pexpire(gatewaysKey, 60_000)
        .hgetall(gatewaysKey, {
          reply: (v) => {
            let live = 0;
            const gone: string[] = [];
            for (const [id, at] of Object.entries(v ?? {})) {
              const age = wall - Number(at);
              if (age < LIVE_MS) live++;
              else if (age > 60_000) gone.push(id);
            }
            this.#gateways = Math.max(1, live);
            if (gone.length > 0) void redis.hdel(gatewaysKey, ...gone).catch(() => {});
          },
        });
    }
    await x.run();
  }

  #readTotal(c: PeriodCounter): (value: unknown) => void {
    const at = Date.now();
    return (v) => {
      c.readAt = at;
      c.fleet = Number(v ?? 0);
    };
  }
}

const NOOP: Reservation = { reservedMicro: 0, settle: () => {} };

/** Gives back what a refused request reserved in the scopes that had admitted it. */
function release(taken: Reservation[], refusal: BudgetDecision): BudgetDecision {
  for (const r of taken) r.settle(0);
  return refusal;
}

function combined(taken: Reservation[]): Reservation {
  if (taken.length === 1) return taken[0] as Reservation;
  return {
    reservedMicro: Math.max(0, ...taken.map((r) => r.reservedMicro)),
    settle: (cost: number) => {
      for (const r of taken) r.settle(cost);
    },
  };
}
