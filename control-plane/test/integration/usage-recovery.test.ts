/**
 * Usage ingestion across failures: a control plane killed (SIGKILL) between reading a batch and
 * acknowledging it, before and after its transaction committed, then restarted; and Redis restarted
 * (losing its data) while events flow. Nothing may be lost, nothing counted twice.
 */
import { usageStreamOf } from '@portcullis/shared/redis-keys';
import { USAGE_CONSUMER_GROUP } from '@portcullis/shared/usage';
import { eventually } from '@portcullis/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { micro, UsageStack, usageEvent } from './usage-harness';

const stack = new UsageStack();

interface KeyView {
  requestCount: number;
  budget: { spentUsd: number } | null;
}
interface Report {
  totals: { requests: number; inputTokens: number; costUsd: number };
}

const keyPath = (id: string) => `/orgs/${stack.orgId}/keys/${id}`;

async function pendingOf(consumer: string): Promise<number> {
  const consumers = (await stack.redis?.xinfo(
    'CONSUMERS',
    usageStreamOf(stack.orgId),
    USAGE_CONSUMER_GROUP,
  )) as unknown[][];
  for (const c of consumers) {
    const name = c[c.indexOf('name') + 1];
    if (name === consumer) return Number(c[c.indexOf('pending') + 1]);
  }
  return 0;
}

const storedFor = async (keyId: string) =>
  Number(
    (
      await stack.query<{ n: string }>('SELECT count(*)::text AS n FROM usage_requests WHERE key_id = $1', [
        keyId,
      ])
    )[0]?.n,
  );

beforeAll(async () => {
  await stack.start();
}, 60_000);

afterAll(async () => {
  await stack.stop();
}, 60_000);

describe('a control plane killed between read and acknowledgement', () => {
  it('after commit: another consumer takes the entries over; the redelivered batch counts once', async () => {
    const key = await stack.createKey({ budget: { limitUsd: 1000, period: 'monthly' } });
    await stack.stopControlPlane();
    const N = 1500; // three batches: the process dies on the first
    const events = Array.from({ length: N }, (_, i) =>
      usageEvent(stack.orgId, key, { inputTokens: i, costUsd: 0.000001 * (i + 1) }),
    );
    await stack.xadd(events);

    const died = await stack.runUntilDeath({
      USAGE_TEST_FAULT: 'kill_after_commit',
      USAGE_CONSUMER_NAME: 'crashing-a',
    });
    expect(died.signal).toBe('SIGKILL');
    // The first batch is in Postgres, and still pending (unacknowledged) in Redis.
    const committed = await storedFor(key.id);
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(N);
    expect(await pendingOf('crashing-a')).toBe(committed);

    // A different consumer: it claims the dead one's entries once they are idle (1 s here).
    await stack.startControlPlane({ USAGE_CONSUMER_NAME: 'survivor' });
    await stack.signIn();
    await eventually(async () => (await stack.get<KeyView>(keyPath(key.id))).requestCount >= N, 30_000);
    await eventually(async () => (await pendingOf('crashing-a')) === 0);
    const view = await stack.get<KeyView>(keyPath(key.id));
    expect(view.requestCount).toBe(N);
    expect(await storedFor(key.id)).toBe(N);
    const cost = events.reduce((a, e) => a + micro(e.costUsd), 0);
    expect(micro(view.budget?.spentUsd ?? 0)).toBe(cost);
    await eventually(async () => {
      const r = await stack.get<Report>(`/orgs/${stack.orgId}/usage?keyId=${key.id}`);
      return r.totals.requests === N;
    });
    const r = await stack.get<Report>(`/orgs/${stack.orgId}/usage?keyId=${key.id}`);
    expect(r.totals.inputTokens).toBe(events.reduce((a, e) => a + e.inputTokens, 0));
    expect(micro(r.totals.costUsd)).toBe(cost);
  }, 90_000);

  it('before commit: the same consumer, restarted, reads its own pending entries again at once', async () => {
    const key = await stack.createKey();
    await stack.stopControlPlane();
    const N = 700;
    const events = Array.from({ length: N }, () => usageEvent(stack.orgId, key));
    await stack.xadd(events);

    const died = await stack.runUntilDeath({
      USAGE_TEST_FAULT: 'kill_before_commit',
      USAGE_CONSUMER_NAME: 'crashing-b',
    });
    expect(died.signal).toBe('SIGKILL');
    // The transaction died with the process: nothing stored, the batch pending in Redis.
    expect(await storedFor(key.id)).toBe(0);
    expect(await pendingOf('crashing-b')).toBeGreaterThan(0);

    await stack.startControlPlane({ USAGE_CONSUMER_NAME: 'crashing-b' });
    await stack.signIn();
    await eventually(async () => (await stack.get<KeyView>(keyPath(key.id))).requestCount >= N, 30_000);
    expect((await stack.get<KeyView>(keyPath(key.id))).requestCount).toBe(N);
    expect(await storedFor(key.id)).toBe(N);
    expect(await pendingOf('crashing-b')).toBe(0);
  }, 90_000);
});

describe('Redis restarted mid-stream', () => {
  it('the consumer and the jobs recover; the API keeps answering meanwhile', async () => {
    const key = await stack.createKey();
    const first = Array.from({ length: 50 }, () => usageEvent(stack.orgId, key, { inputTokens: 1 }));
    await stack.xadd(first);
    await eventually(async () => (await stack.get<KeyView>(keyPath(key.id))).requestCount === 50);

    await stack.stopRedis();
    // Still serving: reads and writes.
    expect((await stack.call('GET', keyPath(key.id))).status).toBe(200);
    expect((await stack.call('GET', `/orgs/${stack.orgId}/usage`)).status).toBe(200);
    await eventually(async () => /usage ingestion is paused/.test(stack.cp?.output() ?? ''));

    // Back, empty (no persistence): the stream, the consumer group and the job schedules are gone.
    await stack.startRedis();
    const second = Array.from({ length: 70 }, () => usageEvent(stack.orgId, key, { inputTokens: 2 }));
    await eventually(async () => (await stack.redis?.ping()) === 'PONG');
    await stack.xadd(second);
    await eventually(async () => (await stack.get<KeyView>(keyPath(key.id))).requestCount >= 120, 30_000);
    expect((await stack.get<KeyView>(keyPath(key.id))).requestCount).toBe(120);
    expect(stack.cp?.output()).toMatch(/usage ingestion resumed/);
    // Rollups run again after the schedules were restored.
    await eventually(async () => {
      const r = await stack.get<Report>(`/orgs/${stack.orgId}/usage?keyId=${key.id}`);
      return r.totals.requests === 120;
    }, 30_000);
    const r = await stack.get<Report>(`/orgs/${stack.orgId}/usage?keyId=${key.id}`);
    expect(r.totals.inputTokens).toBe(50 + 140);
  }, 90_000);
});
