import { randomUUID } from 'node:crypto';
import { DEFAULT_ORG_SETTINGS } from '@portcullis/shared/policy';
import type { SnapshotKey, SnapshotPeople } from '@portcullis/shared/snapshot';
import { periodId } from '@portcullis/shared/usage';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BudgetLedger } from '../src/budget/ledger.js';
import { PeopleIndex } from '../src/snapshot/people.js';
import { privateRedis, snapshotKeyRecord } from './helpers.js';

// The control plane's settled spend of user and group budgets (the snapshot's `spentUsd` for
// `spentPeriod`) is a floor under the fleet counters in Redis, as a key budget's is: a Redis that
// lost its data cannot re-open a user's or group's spent budget. A private redis-server, a fixed clock.
const now = Date.UTC(2030, 0, 15, 12, 0, 0);
const today = periodId('daily', now);
const yesterday = periodId('daily', now - 86_400_000);

let redisServer: Awaited<ReturnType<typeof privateRedis>>;
let redis: Redis;
let ledger: BudgetLedger;

const userId = randomUUID();
const groupId = randomUUID();
const orgId = randomUUID();

function key(ownerId: string): SnapshotKey {
  return snapshotKeyRecord({
    orgId,
    ownerId,
    mcp: { enabled: false, mode: 'deny_all', servers: [], tools: {} },
  });
}

function people(userSpent: { spentUsd: number; spentPeriod: string }, groupSpent: number): SnapshotPeople {
  const limits = key(userId).limits;
  return {
    settings: { ...DEFAULT_ORG_SETTINGS, modelAccessWithoutGrants: 'all' },
    users: [
      {
        id: userId,
        name: 'Ada',
        role: 'member',
        grants: [],
        limits,
        budgets: [{ limitUsd: 1, period: 'daily', alertThresholds: [], ...userSpent }],
        groupIds: [groupId],
      },
    ],
    groups: [
      {
        id: groupId,
        name: 'Research',
        grants: [],
        limits,
        budgets: [
          { limitUsd: 5, period: 'daily', alertThresholds: [], spentUsd: groupSpent, spentPeriod: today },
        ],
      },
    ],
  };
}

beforeAll(async () => {
  redisServer = await privateRedis();
  redis = redisServer.redis;
});

// A gateway that has just started (holding no allowance), on a Redis that has lost its counters.
beforeEach(async () => {
  await redis.flushdb();
  ledger = new BudgetLedger({ redis, instanceId: `gw-${randomUUID()}`, now: () => now });
});
afterEach(() => ledger.close());

afterAll(async () => {
  await redisServer?.stop();
});

describe('user and group budget floors', () => {
  it("a user's settled spend for the current period refuses what would go past the cap", async () => {
    const index = new PeopleIndex();
    index.reset(people({ spentUsd: 0.99, spentPeriod: today }, 0));
    const { budgets } = index.policyOf(key(userId));
    expect(budgets.map((b) => [b.scope, b.spentUsd, b.spentPeriod])).toEqual([
      [`user:${userId}`, 0.99, today],
      [`group:${groupId}`, 0, today],
    ]);
    // $0.02 would take the user past $1 (the fleet counter in Redis is empty: the floor decides).
    const refused = await ledger.reserve(budgets, 20_000);
    expect(refused).toMatchObject({
      ok: false,
      reason: 'spent',
      scope: `user:${userId}`,
      limitMicro: 1_000_000,
    });
    expect(refused.ok ? 0 : refused.usedMicro).toBeGreaterThanOrEqual(990_000);
    // $0.005 still fits.
    const ok = await ledger.reserve(budgets, 5_000);
    expect(ok.ok).toBe(true);
    if (ok.ok) ok.reservation.settle(5_000);
  });

  it("a group's floor applies to every member's keys", async () => {
    const index = new PeopleIndex();
    index.reset(people({ spentUsd: 0, spentPeriod: today }, 5));
    const refused = await ledger.reserve(index.policyOf(key(userId)).budgets, 1_000);
    expect(refused).toMatchObject({ ok: false, reason: 'spent', scope: `group:${groupId}` });
  });

  it('a floor of another period is no floor', async () => {
    const otherUser = randomUUID();
    const index = new PeopleIndex();
    const p = people({ spentUsd: 1, spentPeriod: yesterday }, 0);
    const [u] = p.users;
    if (!u) throw new Error('no user');
    index.reset({ ...p, users: [{ ...u, id: otherUser }] });
    const { budgets } = index.policyOf(key(otherUser));
    expect(budgets[0]).toMatchObject({ scope: `user:${otherUser}`, spentUsd: 1, spentPeriod: yesterday });
    const ok = await ledger.reserve(budgets, 500_000);
    expect(ok.ok).toBe(true);
    if (ok.ok) ok.reservation.settle(0);
  });
});
