import { randomUUID } from 'node:crypto';
import type { Limits } from '@portcullis/shared/api-keys';
import { NO_LIMITS } from '@portcullis/shared/policy';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { keyLimits, RateLimiter, type ScopedLimits } from '../src/rate-limit/limiter.js';
import { PeopleIndex } from '../src/snapshot/people.js';
import { SnapshotBuilder, sleep, snapshotKeyRecord } from './helpers.js';

// Two gateways' limiters (separate Redis connections, as two processes would have) share one key's
// requests/min through the machine's real Redis. Nothing on the request path touches the network.
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const connections: Redis[] = [];
const limiters: RateLimiter[] = [];
afterAll(() => {
  for (const l of limiters) l.close();
  for (const r of connections) r.disconnect();
});

async function fleet(n: number) {
  const out: RateLimiter[] = [];
  for (let i = 0; i < n; i++) {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    connections.push(redis);
    await new Promise((r) => redis.once('ready', r));
    const limiter = new RateLimiter({ redis, instanceId: `gw-${i}-${randomUUID()}`, syncIntervalMs: 100 });
    limiters.push(limiter);
    out.push(limiter);
  }
  return out;
}

async function keyWithLimit(limits: { requestsPerMinute?: number; concurrentRequests?: number }) {
  const b = new SnapshotBuilder();
  const { record } = await b.key({
    limits: {
      requestsPerMinute: limits.requestsPerMinute ?? null,
      tokensPerMinute: null,
      inputTokensPerMinute: null,
      outputTokensPerMinute: null,
      concurrentRequests: limits.concurrentRequests ?? null,
    },
  });
  return keyLimits(record);
}

type Scopes = readonly ScopedLimits[];

/**
 * Three keys of one member whose own limits are `user`, as the gateway's people index folds them: each
 * key's scope list (the user's scope, shared by the three).
 */
function memberKeys(user: Partial<Limits>, n = 3): Scopes[] {
  const people = new PeopleIndex();
  const userId = randomUUID();
  people.reset({
    settings: { modelAccessWithoutGrants: 'all' },
    users: [
      {
        id: userId,
        name: 'Ada',
        role: 'member',
        grants: [],
        limits: { ...NO_LIMITS, ...user },
        budgets: [],
        groupIds: [],
      },
    ],
    groups: [],
  });
  return Array.from({ length: n }, () => people.policyOf(snapshotKeyRecord({ ownerId: userId })).rateLimits);
}

/** Avoids a run that straddles a minute boundary (the previous minute's weight would blur the count). */
async function awayFromMinuteEdge(spanMs: number) {
  const into = Date.now() % 60_000;
  if (into + spanMs > 58_000) await sleep(60_000 - into + 50);
}

describe('fleet-wide rate limits through Redis', () => {
  it('holds requests/min across two gateways within the stated overshoot (paced and burst)', async () => {
    const [a, b] = await fleet(2);
    if (!a || !b) throw new Error('no limiters');
    const limit = 100;

    // Paced: 2 gateways × 250 req/s for 1.2 s (600 attempts) against a limit of 100/min.
    await awayFromMinuteEdge(2000);
    const paced = await keyWithLimit({ requestsPerMinute: limit });
    let pacedAdmitted = 0;
    for (let t = 0; t < 300; t++) {
      for (const g of [a, b]) {
        const d = g.check(paced);
        if (d.ok) {
          pacedAdmitted++;
          d.lease.finish({ inputTokens: 0, outputTokens: 0 });
        }
      }
      await sleep(4);
    }

    // Burst: both gateways try 200 each with almost no pause, on a key both have been serving (warm)
    // and on a key neither has seen (cold: nobody knows the other is there until the first exchange).
    const burstRun = async (warm: boolean) => {
      await awayFromMinuteEdge(1000);
      const key = await keyWithLimit({ requestsPerMinute: limit });
      let admitted = 0;
      if (warm) {
        for (const g of [a, b]) if (g.check(key).ok) admitted++;
        await a.sync();
        await b.sync();
        await a.sync();
      }
      for (let i = 0; i < 200; i++) {
        for (const g of [a, b]) if (g.check(key).ok) admitted++;
        if (i % 10 === 0) await new Promise((r) => setImmediate(r));
      }
      await sleep(300);
      // After the exchange each gateway sees the fleet total and refuses.
      expect(a.check(key).ok).toBe(false);
      expect(b.check(key).ok).toBe(false);
      return admitted;
    };
    const warmBurst = await burstRun(true);
    const coldBurst = await burstRun(false);

    console.log(
      `rate-limit overshoot with 2 gateways, limit ${limit}/min: paced ${pacedAdmitted} admitted (+${pacedAdmitted - limit}), warm burst ${warmBurst} (+${warmBurst - limit}), cold burst ${coldBurst} (+${coldBurst - limit})`,
    );
    expect(pacedAdmitted).toBeGreaterThanOrEqual(limit - 1);
    expect(pacedAdmitted).toBeLessThanOrEqual(limit + 10);
    expect(warmBurst).toBeGreaterThanOrEqual(limit - 5);
    // Typically +30..+46 (logged above): the early exchanges complete during the burst. On a starved
    // machine they may not, and the bound is the same as for a cold burst: what the other gateway admits.
    expect(warmBurst).toBeLessThanOrEqual(2 * limit);
    // A cold burst is bounded by what the other gateway admits before the first exchange: ≤ (N−1) × limit.
    expect(coldBurst).toBeGreaterThanOrEqual(limit);
    expect(coldBurst).toBeLessThanOrEqual(2 * limit);
  }, 130_000);

  it('one gateway sees what the other used', async () => {
    const [a, b] = await fleet(2);
    if (!a || !b) throw new Error('no limiters');
    await awayFromMinuteEdge(1500);
    const key = await keyWithLimit({ requestsPerMinute: 50 });
    // b has served this key before (a gateway that never saw a key learns the fleet total on first sight).
    expect(b.check(key).ok).toBe(true);
    await b.sync();
    for (let i = 0; i < 39; i++) expect(a.check(key).ok).toBe(true);
    await a.sync();
    await b.sync();
    let admitted = 0;
    for (let i = 0; i < 50; i++) if (b.check(key).ok) admitted++;
    expect(admitted).toBe(10);
  }, 130_000);

  it('counts concurrent requests across gateways', async () => {
    const [a, b] = await fleet(2);
    if (!a || !b) throw new Error('no limiters');
    const key = await keyWithLimit({ concurrentRequests: 2 });
    const warm = b.check(key);
    if (warm.ok) warm.lease.finish({ inputTokens: 0, outputTokens: 0 });
    await b.sync();
    const one = a.check(key);
    const two = a.check(key);
    expect(one.ok && two.ok).toBe(true);
    await a.sync();
    await b.sync();
    expect(b.check(key).ok).toBe(false);
    if (one.ok) one.lease.finish({ inputTokens: 0, outputTokens: 0 });
    await a.sync();
    await b.sync();
    expect(b.check(key).ok).toBe(true);
  });

  it("a user's requests/min across three keys and two gateways: paced and burst within the stated overshoot", async () => {
    const [a, b] = await fleet(2);
    if (!a || !b) throw new Error('no limiters');
    const limit = 100;
    const gateways = [a, b];

    // Paced: 2 gateways × 250 req/s, each call on the next of the three keys.
    await awayFromMinuteEdge(2000);
    const pacedKeys = memberKeys({ requestsPerMinute: limit });
    let paced = 0;
    for (let t = 0; t < 300; t++) {
      for (const [gi, g] of gateways.entries()) {
        const d = g.check(pacedKeys[(2 * t + gi) % 3] as Scopes);
        if (d.ok) {
          paced++;
          d.lease.finish({ inputTokens: 0, outputTokens: 0 });
        }
      }
      await sleep(4);
    }

    // Burst: 400 attempts with almost no pause, warm (both gateways have served the user and exchanged)
    // and cold (neither has).
    const burstRun = async (warm: boolean) => {
      await awayFromMinuteEdge(1000);
      const keys = memberKeys({ requestsPerMinute: limit });
      let admitted = 0;
      if (warm) {
        if (a.check(keys[0] as Scopes).ok) admitted++;
        if (b.check(keys[1] as Scopes).ok) admitted++;
        await a.sync();
        await b.sync();
        await a.sync();
      }
      for (let i = 0; i < 200; i++) {
        for (const [gi, g] of gateways.entries())
          if (g.check(keys[(2 * i + gi) % 3] as Scopes).ok) admitted++;
        if (i % 10 === 0) await new Promise((r) => setImmediate(r));
      }
      await sleep(300);
      for (const g of gateways) for (const k of keys) expect(g.check(k).ok).toBe(false);
      return admitted;
    };
    const warm = await burstRun(true);
    const cold = await burstRun(false);
    console.log(
      `person rate-limit overshoot, 2 gateways × 3 keys, limit ${limit}/min: paced ${paced} admitted (+${paced - limit}), warm burst ${warm} (+${warm - limit}), cold burst ${cold} (+${cold - limit})`,
    );
    // The same bounds as one key's (the counters are the user's): ≤ (N − 1) × limit over it.
    expect(paced).toBeGreaterThanOrEqual(limit - 1);
    expect(paced).toBeLessThanOrEqual(limit + 10);
    for (const n of [warm, cold]) {
      expect(n).toBeGreaterThanOrEqual(limit - 5);
      expect(n).toBeLessThanOrEqual(2 * limit);
    }
  }, 130_000);

  it("one gateway sees what the other counted on the user's other keys: requests, tokens, concurrency", async () => {
    const [a, b] = await fleet(2);
    if (!a || !b) throw new Error('no limiters');
    await awayFromMinuteEdge(1500);
    const [k1, k2, k3] = memberKeys({ requestsPerMinute: 50 }) as [
      ScopedLimits[],
      ScopedLimits[],
      ScopedLimits[],
    ];
    expect(b.check(k1).ok).toBe(true);
    await b.sync();
    for (let i = 0; i < 39; i++) expect(a.check(i % 2 ? k2 : k3).ok).toBe(true);
    await a.sync();
    await b.sync();
    let admitted = 0;
    for (let i = 0; i < 50; i++) if (b.check(k1).ok) admitted++;
    expect(admitted).toBe(10);

    // Output tokens: 30 used through one key at a, so the user's other key is refused at b.
    const [t1, t2] = memberKeys({ outputTokensPerMinute: 30 }, 2) as [Scopes, Scopes];
    const warm = b.check(t2);
    if (warm.ok) warm.lease.finish({ inputTokens: 0, outputTokens: 0 });
    await b.sync();
    const used = a.check(t1);
    if (!used.ok) throw new Error('refused');
    used.lease.finish({ inputTokens: 5, outputTokens: 30 });
    await a.sync();
    await b.sync();
    const refused = b.check(t2);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect([refused.limit, refused.label]).toEqual(['output_tokens', "the key's owner"]);

    // Concurrency: two requests in flight on two keys at a fill 2 slots; a third key at b waits.
    const [c1, c2, c3] = memberKeys({ concurrentRequests: 2 }) as [
      ScopedLimits[],
      ScopedLimits[],
      ScopedLimits[],
    ];
    const probe = b.check(c3);
    if (probe.ok) probe.lease.finish({ inputTokens: 0, outputTokens: 0 });
    await b.sync();
    const one = a.check(c1);
    const two = a.check(c2);
    expect(one.ok && two.ok).toBe(true);
    await a.sync();
    await b.sync();
    const busy = b.check(c3);
    expect(busy.ok).toBe(false);
    if (!busy.ok) expect(busy.limit).toBe('concurrency');
    if (one.ok) one.lease.finish({ inputTokens: 0, outputTokens: 0 });
    await a.sync();
    await b.sync();
    expect(b.check(c3).ok).toBe(true);
  }, 130_000);
});
