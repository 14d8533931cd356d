/**
 * Budget alert thresholds end to end: usage events XADDed to the stream as a gateway would, ingested
 * by the real control plane, thresholds firing once each per period as signed `budget.threshold`
 * webhook deliveries to a real receiver.
 */
import { randomUUID } from 'node:crypto';
import type { BudgetThresholdData, WebhookPayload, WebhookView } from '@portcullis/shared/webhooks';
import { waitFor } from '@portcullis/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, Spender, Stack } from './webhooks-harness';

// Events are dated on later days to cross budget periods; the control plane refuses future times
// beyond this window (USAGE_EVENT_MAX_FUTURE_SECONDS).
const stack = new Stack({ USAGE_EVENT_MAX_FUTURE_SECONDS: String(4 * 86_400) });
const receiver = new Receiver();
let orgId: string;
let admin: string;

const DAY_MS = 86_400_000;
// Events are dated ahead of the wall clock (spend is counted by the events' times), so the test
// does not depend on the time of day it runs at, nor sleep until midnight.
const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
const day1 = today + DAY_MS;
const day2 = today + 2 * DAY_MS;

interface Key {
  id: string;
  name: string;
  ownerId: string;
}

async function budgetKey(alertThresholds: number[]): Promise<Key> {
  const r = await stack.call<{ key: Key }>('POST', `/orgs/${orgId}/keys`, admin, {
    name: `budgeted-${randomUUID().slice(0, 8)}`,
    budget: { limitUsd: 1, period: 'daily', alertThresholds },
  });
  if (r.status !== 201) throw new Error(`key create failed: ${r.status} ${r.text}`);
  return r.body.key;
}

const spender = new Spender(stack, 'webhooks-budget-test');
const spend = (key: Key, dayStart: number, costs: number[]) =>
  spender.spend(orgId, admin, key, dayStart, costs);

/** The budget.threshold deliveries the receiver accepted for `key`, in arrival order. */
const alertsFor = (key: Key) =>
  receiver.received
    .filter((r) => r.status === 200)
    .map((r) => JSON.parse(r.raw) as WebhookPayload<BudgetThresholdData>)
    .filter((p) => p.type === 'budget.threshold' && p.data.keyId === key.id);

const waitForAlerts = (key: Key, n: number) =>
  waitFor(async () => (alertsFor(key).length >= n ? alertsFor(key) : undefined), `${n} alerts`);

let budgetHook: WebhookView;
let otherHook: WebhookView;

beforeAll(async () => {
  await receiver.start();
  await stack.start();
  ({ orgId, admin } = await stack.newOrg());
  const created = await stack.call<{ webhook: WebhookView; secret: string }>(
    'POST',
    `/orgs/${orgId}/webhooks`,
    admin,
    { url: receiver.url, events: ['budget.threshold'] },
  );
  budgetHook = created.body.webhook;
  receiver.secret = created.body.secret;
  // Subscribed to something else: gets no budget alerts.
  const other = await stack.call<{ webhook: WebhookView }>('POST', `/orgs/${orgId}/webhooks`, admin, {
    url: receiver.url,
    events: ['webhook.test', 'key.expired'],
  });
  otherHook = other.body.webhook;
});

afterAll(async () => {
  spender.close();
  await stack.stop();
  await receiver.stop();
});

describe('budget alert thresholds', () => {
  it('50, 80 and 100 % each fire once per period; the next period fires again', async () => {
    const key = await budgetKey([50, 80, 100]);

    await spend(key, day1, [0.1, 0.1, 0.1]); // $0.30: below every threshold
    await spend(key, day1, [0.25]); // $0.55 ≥ 50 %
    const first = await waitForAlerts(key, 1);
    expect(first.map((a) => a.data.threshold)).toEqual([50]);
    expect(first[0]?.data).toEqual({
      keyId: key.id,
      keyName: key.name,
      ownerId: key.ownerId,
      threshold: 50,
      period: 'daily',
      periodStart: new Date(day1).toISOString(),
      spentUsd: 0.55,
      limitUsd: 1,
    });

    await spend(key, day1, [0.3]); // $0.85 ≥ 80 %
    expect((await waitForAlerts(key, 2)).map((a) => a.data.threshold)).toEqual([50, 80]);
    await spend(key, day1, [0.1, 0.1]); // $1.05 ≥ 100 %
    expect((await waitForAlerts(key, 3)).map((a) => a.data.threshold)).toEqual([50, 80, 100]);

    // More spend in the same period: nothing new.
    await spend(key, day1, [0.2, 0.2, 0.2]);
    // The next day is a new period: spend starts from zero there, so only 50 % fires.
    await spend(key, day2, [0.6]);
    const all = await waitForAlerts(key, 4);
    expect(all.map((a) => [a.data.threshold, a.data.periodStart])).toEqual([
      [50, new Date(day1).toISOString()],
      [80, new Date(day1).toISOString()],
      [100, new Date(day1).toISOString()],
      [50, new Date(day2).toISOString()],
    ]);
    expect(all[3]?.data.spentUsd).toBe(0.6);

    // Every delivery verified, and each is recorded as succeeded on the subscribed endpoint only.
    const deliveries = await stack.call<{ data: { type: string; status: string }[] }>(
      'GET',
      `/orgs/${orgId}/webhooks/${budgetHook.id}/deliveries`,
      admin,
    );
    expect(deliveries.body.data.filter((d) => d.type === 'budget.threshold')).toHaveLength(
      alertsFor(key).length + alertsForOthers(key),
    );
    const other = await stack.call<{ data: unknown[] }>(
      'GET',
      `/orgs/${orgId}/webhooks/${otherHook.id}/deliveries`,
      admin,
    );
    expect(other.body.data).toEqual([]);

    // The audit trail says the same, once per threshold and period.
    const audit = await stack.call<{ data: { action: string; target: { id: string }; after: unknown }[] }>(
      'GET',
      `/orgs/${orgId}/audit-events?action=budget.threshold_reached&targetId=${key.id}`,
      admin,
    );
    expect(audit.body.data).toHaveLength(4);
    expect(audit.body.data.map((e) => (e.after as { threshold: number }).threshold).sort()).toEqual([
      100, 50, 50, 80,
    ]);
  });

  it('a burst of events crossing every threshold at once fires each exactly once', async () => {
    const key = await budgetKey([25, 50, 75, 100]);
    // 60 × $0.03 = $1.80, in one go: several ingest batches may evaluate the key concurrently.
    await spend(
      key,
      day1,
      Array.from({ length: 60 }, () => 0.03),
    );
    const alerts = await waitForAlerts(key, 4);
    expect(alerts.map((a) => a.data.threshold).sort((a, b) => a - b)).toEqual([25, 50, 75, 100]);
    // A later batch in the same period (which re-evaluates the key) adds nothing.
    await spend(key, day1, [0.01]);
    const audit = await stack.call<{ data: unknown[] }>(
      'GET',
      `/orgs/${orgId}/audit-events?action=budget.threshold_reached&targetId=${key.id}`,
      admin,
    );
    expect(audit.body.data).toHaveLength(4);
    expect(alertsFor(key)).toHaveLength(4);
  });
});

/** Budget deliveries for keys other than `key` (the endpoint's list holds every key's). */
function alertsForOthers(key: Key): number {
  return receiver.received
    .filter((r) => r.status === 200)
    .map((r) => JSON.parse(r.raw) as WebhookPayload<BudgetThresholdData>)
    .filter((p) => p.type === 'budget.threshold' && p.data.keyId !== key.id).length;
}
