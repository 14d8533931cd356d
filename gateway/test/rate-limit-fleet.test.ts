import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/rate-limit/limiter.js';
import { SnapshotBuilder, sleep } from './helpers.js';

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
  return record;
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
});
