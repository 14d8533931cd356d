import { Fleet } from '@portcullis/testing/fleet';
import { chatAt } from '@portcullis/testing/gateway-calls';
import { eventually } from '@portcullis/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Real processes: a private redis-server, the control plane, two gateways and the fake upstream.
// An admin suspends, reactivates and removes a member through the control plane's REST API; what the
// member's keys get at both gateways is observed the way a client sees it.
const fleet = new Fleet();
const MODEL = 'gpt-4o-mini';
const org = (p: string) => `/orgs/${fleet.orgId}${p}`;

async function invite() {
  const member = await fleet.invite('member');
  // Members use only what they are granted.
  await fleet.api('POST', org(`/users/${member.id}/grants`), { model: MODEL });
  return member;
}

const keyFor = (ownerId: string) => fleet.addKey({ ownerId });

async function chat(url: string, secret: string): Promise<{ status: number; code: string | null }> {
  const { status, code } = await chatAt(url, secret, {
    model: MODEL,
    messages: [{ role: 'user', content: 'hi' }],
  });
  return { status, code };
}

/** Waits until every gateway answers `secret` with `status` (and `code`). */
async function everywhere(secret: string, status: number, code: string | null = null): Promise<void> {
  await eventually(async () => {
    for (const g of fleet.gateways) {
      const a = await chat(g.url, secret);
      if (a.status !== status || a.code !== code) return false;
    }
    return true;
  }, 15_000);
}

async function console_(method: string, path: string, token: string): Promise<number> {
  return (await fleet.call(method, path, { token })).status;
}

beforeAll(async () => {
  await fleet.start(2);
  await fleet.addFakeModel(
    MODEL,
    { inputPricePerMTok: 1, outputPricePerMTok: 2 },
    { upstreamModel: `${MODEL}-upstream` },
  );
  for (const g of fleet.gateways) await fleet.waitReady(g);
}, 120_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

describe('suspending a member', () => {
  it('refuses all their keys at both gateways with 403 user_suspended; reactivating restores each key as it was', async () => {
    const member = await invite();
    const active = await keyFor(member.id);
    const paused = await keyFor(member.id);
    await fleet.api('POST', org(`/keys/${paused.id}/deactivate`));
    const bystander = await keyFor((await invite()).id);
    await everywhere(active.secret, 200);
    await everywhere(paused.secret, 401, 'key_inactive');
    await everywhere(bystander.secret, 200);

    const suspended = await fleet.api<{ status: string }>('POST', org(`/users/${member.id}/suspend`));
    expect(suspended.status).toBe('suspended');
    await everywhere(active.secret, 403, 'user_suspended');
    // The key's own state is checked first: a paused key stays refused as inactive.
    await everywhere(paused.secret, 401, 'key_inactive');
    // Their console session is refused in this organization too; another member is unaffected.
    expect(await console_('GET', org('/keys'), member.token)).toBe(403);
    await everywhere(bystander.secret, 200);

    const reactivated = await fleet.api<{ status: string }>('POST', org(`/users/${member.id}/reactivate`));
    expect(reactivated.status).toBe('active');
    await everywhere(active.secret, 200);
    await everywhere(paused.secret, 401, 'key_inactive');
    expect(await console_('GET', org('/keys'), member.token)).toBe(200);
    const keys = await fleet.api<{ data: { id: string; status: string }[] }>(
      'GET',
      org(`/keys?ownerId=${member.id}&sort=name`),
    );
    expect(new Map(keys.data.map((k) => [k.id, k.status]))).toEqual(
      new Map([
        [active.id, 'active'],
        [paused.id, 'inactive'],
      ]),
    );
  }, 60_000);

  it('a gateway that starts while the member is suspended refuses them too (full snapshot)', async () => {
    const member = await invite();
    const key = await keyFor(member.id);
    await everywhere(key.secret, 200);
    const g = fleet.gateways[1];
    if (!g) throw new Error('two gateways expected');
    await fleet.stopGateway(g);
    await fleet.api('POST', org(`/users/${member.id}/suspend`));
    await fleet.startGateway(g);
    await everywhere(key.secret, 403, 'user_suspended');
    await fleet.api('POST', org(`/users/${member.id}/reactivate`));
    await everywhere(key.secret, 200);
  }, 60_000);
});

describe('removing a member', () => {
  it('refuses their keys at both gateways; their usage history and audit trail stay', async () => {
    const member = await invite();
    const key = await keyFor(member.id);
    await everywhere(key.secret, 200);
    // The history has reached the control plane before the removal.
    await eventually(async () => {
      const h = await fleet.api<{ data: unknown[] }>('GET', org(`/keys/${key.id}/requests`));
      return h.data.length >= fleet.gateways.length;
    }, 15_000);

    const res = await fleet.call('DELETE', org(`/users/${member.id}`), { token: fleet.adminToken });
    expect(res.status).toBe(204);
    await everywhere(key.secret, 401, 'invalid_api_key');
    expect(await console_('GET', org('/keys'), member.token)).toBe(404);

    const history = await fleet.api<{ data: { userId: string; status: number }[] }>(
      'GET',
      org(`/keys/${key.id}/requests`),
    );
    expect(history.data.length).toBeGreaterThanOrEqual(fleet.gateways.length);
    expect(new Set(history.data.map((r) => r.userId))).toEqual(new Set([member.id]));
    const audit = await fleet.api<{ data: { action: string }[] }>(
      'GET',
      org(`/audit-events?targetId=${member.id}`),
    );
    expect(audit.data.map((e) => e.action)).toEqual(
      expect.arrayContaining(['member.joined', 'user.removed']),
    );
    const keyAudit = await fleet.api<{ data: { action: string }[] }>(
      'GET',
      org(`/audit-events?targetId=${key.id}`),
    );
    expect(keyAudit.data.map((e) => e.action)).toEqual(
      expect.arrayContaining(['key.created', 'key.deleted']),
    );
  }, 60_000);
});
