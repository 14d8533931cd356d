import { setTimeout as sleep } from 'node:timers/promises';
import { Fleet } from '@portcullis/testing/fleet';
import { eventually } from '@portcullis/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  awayFromMinuteEdge,
  chat as chatAt,
  keyFor as keyOf,
  known as knownAt,
  MESSAGES,
} from './people.js';

// Real processes: a private redis-server, the control plane, two gateways and the fake upstream.
// People's policy (grants, group and user limits and budgets, the org setting) is changed through the
// control plane's REST API and observed at both gateways the way a client sees it.
const fleet = new Fleet();
/** Output dominates the price, so a request costs about 6 × 1000 micro-USD (the fake answers 6 words). */
const PRICES = { inputPricePerMTok: 1, outputPricePerMTok: 1000 };

let adminId = '';
let adminSecret = '';
const org = (p: string) => `/orgs/${fleet.orgId}${p}`;
const invite = (role: 'admin' | 'member') => fleet.invite(role);
const keyFor = (ownerId: string, extra: Record<string, unknown> = {}) => keyOf(fleet, ownerId, extra);
const chat = (gateway: number, secret: string, model: string) => chatAt(fleet, gateway, secret, model);
const known = (secret: string) => knownAt(fleet, secret);

/** Waits until both gateways answer `model` for `secret` with `status` (and `code`), returning the time it took. */
async function atBoth(
  secret: string,
  model: string,
  status: number,
  code: string | null = null,
): Promise<void> {
  for (let g = 0; g < fleet.gateways.length; g++) {
    await eventually(async () => {
      const a = await chat(g, secret, model);
      return a.status === status && a.code === code;
    });
  }
}

beforeAll(async () => {
  await fleet.start(2);
  const me = await fleet.api<{ user: { id: string } }>('GET', '/me');
  adminId = me.user.id;
  for (const slug of ['alpha', 'beta']) await fleet.addFakeModel(slug, PRICES);
  adminSecret = await keyFor(adminId);
}, 120_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

describe('model access grants at both gateways', () => {
  it('member without grants is refused; grants to the user or a group allow; revoking denies; allowedModels narrows; the org setting and admins', async () => {
    const member = await invite('member');
    const secret = await keyFor(member.id);
    const narrowed = await keyFor(member.id, { allowedModels: ['beta'] });
    await known(secret);
    await known(narrowed);

    // No grants, default setting: nothing (not even listed); an admin's key is unaffected.
    await atBoth(secret, 'alpha', 403, 'model_not_allowed');
    const none = await fetch(`${fleet.gateways[0]?.url}/v1/models`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(((await none.json()) as { data: unknown[] }).data).toEqual([]);
    for (let g = 0; g < 2; g++) expect((await chat(g, adminSecret, 'alpha')).status).toBe(200);

    // A grant to the user.
    await fleet.api('POST', org(`/users/${member.id}/grants`), { model: 'alpha' });
    await atBoth(secret, 'alpha', 200);
    for (let g = 0; g < 2; g++) expect((await chat(g, secret, 'beta')).code).toBe('model_not_allowed');

    // A grant through a group.
    const group = await fleet.api<{ id: string }>('POST', org('/groups'), { name: 'Beta testers' });
    await fleet.api('POST', org(`/groups/${group.id}/grants`), { model: 'beta' });
    await fleet.api('PUT', org(`/groups/${group.id}/members/${member.id}`));
    await atBoth(secret, 'beta', 200);

    // GET /v1/models lists exactly the effective models.
    for (const g of fleet.gateways) {
      const res = await fetch(`${g.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
      const list = (await res.json()) as { data: { id: string }[] };
      expect(list.data.map((m) => m.id)).toEqual(['alpha', 'beta']);
    }

    // The key's allowedModels narrows: alpha is the user's, but this key may only use beta.
    await atBoth(narrowed, 'beta', 200);
    for (const g of fleet.gateways) {
      const res = await fetch(`${g.url}/v1/models`, { headers: { authorization: `Bearer ${narrowed}` } });
      expect(((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(['beta']);
    }
    for (let g = 0; g < 2; g++) expect((await chat(g, narrowed, 'alpha')).code).toBe('model_not_allowed');

    // Revoking denies again (the user's grant; then the group membership).
    await fleet.api('DELETE', org(`/users/${member.id}/grants/alpha`));
    await atBoth(secret, 'alpha', 403, 'model_not_allowed');
    await fleet.api('DELETE', org(`/groups/${group.id}/members/${member.id}`));
    await atBoth(secret, 'beta', 403, 'model_not_allowed');

    // "No grants means all": allowed without grants; back to "none": refused.
    await fleet.api('PATCH', org('/settings'), { modelAccessWithoutGrants: 'all' });
    await atBoth(secret, 'alpha', 200);
    for (let g = 0; g < 2; g++) expect((await chat(g, secret, 'beta')).status).toBe(200);
    // …but never wider than the key's allowedModels.
    for (let g = 0; g < 2; g++) expect((await chat(g, narrowed, 'alpha')).code).toBe('model_not_allowed');
    await fleet.api('PATCH', org('/settings'), { modelAccessWithoutGrants: 'none' });
    await atBoth(secret, 'alpha', 403, 'model_not_allowed');
    for (let g = 0; g < 2; g++) expect((await chat(g, adminSecret, 'beta')).status).toBe(200);
  }, 120_000);
});

describe('limits and budgets of a user in two groups', () => {
  it("the strictest requests/min of user (10), group A (5) and group B (3) holds for the member's keys together, across both gateways", async () => {
    const member = await invite('member');
    await fleet.api('POST', org(`/users/${member.id}/grants`), { model: 'alpha' });
    const a = await fleet.api<{ id: string }>('POST', org('/groups'), { name: 'Group A' });
    const b = await fleet.api<{ id: string }>('POST', org('/groups'), { name: 'Group B' });
    await fleet.api('PUT', org(`/users/${member.id}/limits`), { requestsPerMinute: 10 });
    await fleet.api('PUT', org(`/groups/${a.id}/limits`), { requestsPerMinute: 5 });
    await fleet.api('PUT', org(`/groups/${b.id}/limits`), { requestsPerMinute: 3 });
    await fleet.api('PUT', org(`/groups/${a.id}/members/${member.id}`));
    await fleet.api('PUT', org(`/groups/${b.id}/members/${member.id}`));
    // Keys created after every change: once a gateway knows the key it has applied everything before
    // it (deltas arrive in order).
    const secrets = [await keyFor(member.id), await keyFor(member.id)] as [string, string];
    for (const s of secrets) await known(s);
    // Three calls over both keys and both gateways, 300 ms apart (each gateway exchanges its counts
    // every 100 ms, rate-limit/limiter.ts): group B's 3 hold for all of them together.
    await awayFromMinuteEdge(5000);
    for (const [g, s] of [
      [0, secrets[0]],
      [1, secrets[1]],
      [0, secrets[1]],
    ] as const) {
      expect((await chat(g, s, 'alpha')).status, `call at gateway ${g}`).toBe(200);
      await sleep(300);
    }
    for (let g = 0; g < 2; g++)
      for (const s of secrets)
        expect(await chat(g, s, 'alpha')).toMatchObject({
          status: 429,
          code: 'rate_limit_exceeded',
          message: 'Rate limit exceeded: requests per minute of the group "Group B"',
        });
    const res = await fetch(`${fleet.gateways[1]?.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secrets[0]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'alpha', messages: MESSAGES, max_tokens: 6 }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  }, 120_000);

  it('a spent group budget refuses every key of its members at both gateways with budget_exceeded; others are unaffected', async () => {
    const member = await invite('member');
    await fleet.api('POST', org(`/users/${member.id}/grants`), { model: 'alpha' });
    const roomy = await fleet.api<{ id: string }>('POST', org('/groups'), { name: 'Roomy' });
    const tight = await fleet.api<{ id: string }>('POST', org('/groups'), { name: 'Tight' });
    await fleet.api('PUT', org(`/users/${member.id}/limits`), {
      budgets: [{ limitUsd: 100, period: 'daily' }],
    });
    await fleet.api('PUT', org(`/groups/${roomy.id}/limits`), {
      budgets: [{ limitUsd: 50, period: 'monthly' }],
    });
    // About two requests' worth (each ≈ $0.006).
    await fleet.api('PUT', org(`/groups/${tight.id}/limits`), {
      budgets: [{ limitUsd: 0.015, period: 'monthly' }],
    });
    await fleet.api('PUT', org(`/groups/${roomy.id}/members/${member.id}`));
    await fleet.api('PUT', org(`/groups/${tight.id}/members/${member.id}`));
    const first = await keyFor(member.id);
    const second = await keyFor(member.id);
    await known(first);
    await known(second);

    // Spend alternately at both gateways with both keys until the group's budget refuses.
    let admitted = 0;
    let refusal: Answer | null = null;
    for (let i = 0; i < 10 && !refusal; i++) {
      const a = await chat(i % 2, i % 2 === 0 ? first : second, 'alpha');
      if (a.status === 200) admitted++;
      else refusal = a;
    }
    expect(admitted).toBeGreaterThanOrEqual(1);
    expect(admitted).toBeLessThanOrEqual(2);
    expect(refusal).toMatchObject({ status: 429, code: 'budget_exceeded' });
    expect(refusal?.message).toContain('"Tight"');
    for (let g = 0; g < 2; g++)
      for (const s of [first, second]) expect((await chat(g, s, 'alpha')).code).toBe('budget_exceeded');
    // The admin is in neither group.
    for (let g = 0; g < 2; g++) expect((await chat(g, adminSecret, 'alpha')).status).toBe(200);

    // Leaving the group lifts its cap (the user's and the other group's are far from spent).
    await fleet.api('DELETE', org(`/groups/${tight.id}/members/${member.id}`));
    await atBoth(first, 'alpha', 200);
  }, 120_000);
});
