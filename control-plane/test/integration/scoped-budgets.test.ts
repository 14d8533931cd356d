/**
 * User and group budgets end to end: usage events XADDed to the stream as a gateway would, across
 * several keys of a user (and of a group's members), ingested by the real control plane; the user and
 * group views show the period's spend, and each threshold fires once per period as a `budget.threshold`
 * delivery to a real receiver and a `budget.threshold_reached` audit record.
 */
import { randomUUID } from 'node:crypto';
import type { WebhookPayload } from '@portcullis/shared/webhooks';
import { waitFor } from '@portcullis/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, Spender, Stack } from './webhooks-harness';

// Events are dated on later days to cross budget periods; the control plane refuses future times
// beyond this window (USAGE_EVENT_MAX_FUTURE_SECONDS).
const stack = new Stack({ USAGE_EVENT_MAX_FUTURE_SECONDS: String(4 * 86_400) });
const receiver = new Receiver();

const DAY_MS = 86_400_000;
// The views show the current period's spend, so the first period is today (events an hour into it);
// the next period's events are dated tomorrow (spend is counted by the events' times).
const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
const tomorrow = today + DAY_MS;

interface Key {
  id: string;
  ownerId: string;
}
interface ScopeAlert {
  scope: 'user' | 'group';
  userId?: string;
  groupId?: string;
  name: string;
  threshold: number;
  period: string;
  periodStart: string;
  spentUsd: number;
  limitUsd: number;
}
interface BudgetOut {
  limitUsd: number;
  period: string;
  alertThresholds: number[];
  spentUsd?: number;
}

const BUDGET = { limitUsd: 1, period: 'daily', alertThresholds: [50, 100] };

async function newKey(orgId: string, token: string): Promise<Key> {
  const r = await stack.call<{ key: Key }>('POST', `/orgs/${orgId}/keys`, token, {
    name: `k-${randomUUID().slice(0, 8)}`,
  });
  if (r.status !== 201) throw new Error(`key create failed: ${r.status} ${r.text}`);
  return r.body.key;
}

const spender = new Spender(stack, 'scoped-budgets-test');

const alertsOf = (scope: 'user' | 'group', id: string): ScopeAlert[] =>
  receiver.received
    .filter((r) => r.status === 200)
    .map((r) => JSON.parse(r.raw) as WebhookPayload<ScopeAlert>)
    .filter(
      (p) =>
        p.type === 'budget.threshold' &&
        p.data.scope === scope &&
        (scope === 'user' ? p.data.userId : p.data.groupId) === id,
    )
    .map((p) => p.data);

const waitForAlerts = (scope: 'user' | 'group', id: string, n: number) =>
  waitFor(async () => {
    const a = alertsOf(scope, id);
    return a.length >= n ? a : undefined;
  }, `${n} ${scope} alerts`);

async function newOrgWithHook() {
  const org = await stack.newOrg();
  const hook = await stack.call<{ secret: string }>('POST', `/orgs/${org.orgId}/webhooks`, org.admin, {
    url: receiver.url,
    events: ['budget.threshold'],
  });
  if (hook.status !== 201) throw new Error(`webhook create failed: ${hook.text}`);
  receiver.secret = hook.body.secret;
  return org;
}

async function auditThresholds(orgId: string, admin: string, targetId: string): Promise<number[]> {
  const audit = await stack.call<{ data: { target: { type: string }; after: { threshold: number } }[] }>(
    'GET',
    `/orgs/${orgId}/audit-events?action=budget.threshold_reached&targetId=${targetId}`,
    admin,
  );
  expect(audit.status).toBe(200);
  return audit.body.data.map((e) => e.after.threshold).sort((a, b) => a - b);
}

beforeAll(async () => {
  await receiver.start();
  await stack.start();
});

afterAll(async () => {
  spender.close();
  await stack.stop();
  await receiver.stop();
});

describe('user and group budgets', () => {
  it("a user's budget counts all their keys, shows its spend and fires each threshold once per day", async () => {
    // One org per test: a receiver verifies with the latest webhook secret.
    const { orgId, admin, member, memberId } = await newOrgWithHook();
    const put = await stack.call('PUT', `/orgs/${orgId}/users/${memberId}/limits`, admin, {
      budgets: [BUDGET],
    });
    expect(put.status).toBe(200);
    const a = await newKey(orgId, member);
    const b = await newKey(orgId, member);
    expect(a.ownerId).toBe(memberId);

    await spender.spend(orgId, admin, a, today, [0.3]); // $0.30: below 50 %
    await spender.spend(orgId, admin, b, today, [0.25]); // $0.55 over both keys ≥ 50 %
    const first = await waitForAlerts('user', memberId, 1);
    const user = await stack.call<{ name: string; budgets: BudgetOut[] }>(
      'GET',
      `/orgs/${orgId}/users/${memberId}`,
      admin,
    );
    expect(first).toEqual([
      {
        scope: 'user',
        userId: memberId,
        name: user.body.name,
        threshold: 50,
        period: 'daily',
        periodStart: new Date(today).toISOString(),
        spentUsd: 0.55,
        limitUsd: 1,
      },
    ]);
    expect(user.body.budgets).toEqual([{ ...BUDGET, spentUsd: 0.55 }]);

    await spender.spend(orgId, admin, a, today, [0.5]); // $1.05 ≥ 100 %
    expect((await waitForAlerts('user', memberId, 2)).map((x) => x.threshold)).toEqual([50, 100]);
    // More spend in the same day: nothing new.
    await spender.spend(orgId, admin, b, today, [0.2]);
    const limits = await stack.call<{ budgets: BudgetOut[] }>(
      'GET',
      `/orgs/${orgId}/users/${memberId}/limits`,
      member,
    );
    expect(limits.status).toBe(200);
    expect(limits.body.budgets).toEqual([{ ...BUDGET, spentUsd: 1.25 }]);

    // The next day is a new period: only 50 % fires again.
    await spender.spend(orgId, admin, b, tomorrow, [0.6]);
    const all = await waitForAlerts('user', memberId, 3);
    expect(all.map((x) => [x.threshold, x.periodStart, x.spentUsd])).toEqual([
      [50, new Date(today).toISOString(), 0.55],
      [100, new Date(today).toISOString(), 1.05],
      [50, new Date(tomorrow).toISOString(), 0.6],
    ]);
    expect(await auditThresholds(orgId, admin, memberId)).toEqual([50, 50, 100]);
    // The keys themselves have no budget: no key alerts.
    expect(
      receiver.received
        .map((r) => JSON.parse(r.raw) as WebhookPayload<{ keyId?: string }>)
        .filter((p) => p.data.keyId === a.id || p.data.keyId === b.id),
    ).toEqual([]);
  });

  it("a group's budget counts its members' keys, shows its spend and fires each threshold once per day", async () => {
    const { orgId, admin, member, memberId } = await newOrgWithHook();
    const group = await stack.call<{ id: string; name: string }>('POST', `/orgs/${orgId}/groups`, admin, {
      name: 'Research',
    });
    expect(group.status).toBe(201);
    const gid = group.body.id;
    const adminKey = await newKey(orgId, admin);
    const memberKey = await newKey(orgId, member);
    for (const uid of [adminKey.ownerId, memberId]) {
      const r = await stack.call('PUT', `/orgs/${orgId}/groups/${gid}/members/${uid}`, admin);
      expect(r.status).toBeLessThan(300);
    }
    const put = await stack.call('PUT', `/orgs/${orgId}/groups/${gid}/limits`, admin, { budgets: [BUDGET] });
    expect(put.status).toBe(200);

    await spender.spend(orgId, admin, adminKey, today, [0.3]);
    await spender.spend(orgId, admin, memberKey, today, [0.3]); // $0.60 over both members ≥ 50 %
    const first = await waitForAlerts('group', gid, 1);
    expect(first).toEqual([
      {
        scope: 'group',
        groupId: gid,
        name: 'Research',
        threshold: 50,
        period: 'daily',
        periodStart: new Date(today).toISOString(),
        spentUsd: 0.6,
        limitUsd: 1,
      },
    ]);
    const detail = await stack.call<{ limits: { budgets: BudgetOut[] } }>(
      'GET',
      `/orgs/${orgId}/groups/${gid}`,
      admin,
    );
    expect(detail.body.limits.budgets).toEqual([{ ...BUDGET, spentUsd: 0.6 }]);

    await spender.spend(orgId, admin, adminKey, today, [0.4]); // $1.00 ≥ 100 %
    expect((await waitForAlerts('group', gid, 2)).map((x) => x.threshold)).toEqual([50, 100]);
    await spender.spend(orgId, admin, memberKey, today, [0.1]); // same day: nothing new
    const limits = await stack.call<{ budgets: BudgetOut[] }>(
      'GET',
      `/orgs/${orgId}/groups/${gid}/limits`,
      member,
    );
    expect(limits.status).toBe(200);
    expect(limits.body.budgets).toEqual([{ ...BUDGET, spentUsd: 1.1 }]);

    await spender.spend(orgId, admin, memberKey, tomorrow, [0.5]);
    const all = await waitForAlerts('group', gid, 3);
    expect(all.map((x) => [x.threshold, x.periodStart])).toEqual([
      [50, new Date(today).toISOString()],
      [100, new Date(today).toISOString()],
      [50, new Date(tomorrow).toISOString()],
    ]);
    expect(await auditThresholds(orgId, admin, gid)).toEqual([50, 50, 100]);
  });
});
