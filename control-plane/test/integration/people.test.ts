/**
 * People, as an admin and the people they manage see it through the REST API: invitations (accept,
 * expiry, reuse, re-invite), the users list with its statuses and search, role changes that apply
 * to the very next request, last-admin protections, suspension and reactivation of console access,
 * and removal (keys gone, history and audit trail kept).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiResponse,
  addMember,
  api,
  createKey,
  type ErrorBody,
  login,
  newOrg,
  newOrgWithMember,
  type Page,
  type SignedIn,
  unique,
} from './client';
import { withDb } from './db';

interface UserRow {
  id: string;
  name: string | null;
  email: string;
  role: 'admin' | 'member';
  status: 'active' | 'invited' | 'suspended';
  createdAt: string;
  invitation: { expiresAt: string; expired: boolean; mailStatus: string | null } | null;
}
interface Invited {
  invitation: { id: string; email: string; role: string; expiresAt: string; mailStatus: string | null };
  acceptUrl: string;
}
interface AuditEvent {
  action: string;
  actor: { id: string | null };
  target: { type: string; id: string | null };
}

const PASSWORD = 'member-password-1';
const v1 = (path: string) => `/api/v1${path}`;

function expectError(res: ApiResponse, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect((res.body as ErrorBody).error.code).toBe(code);
}

const tokenOf = (acceptUrl: string) => acceptUrl.split('/').pop() ?? '';

async function invite(orgId: string, admin: string, email: string, role: 'admin' | 'member' = 'member') {
  const res = await api<Invited>('POST', v1(`/orgs/${orgId}/invitations`), {
    token: admin,
    body: { email, role },
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

const accept = (token: string, name = 'New Person', password = PASSWORD) =>
  api<SignedIn>('POST', v1(`/invitations/${token}/accept`), { body: { name, password } });

async function users(orgId: string, admin: string, query = ''): Promise<UserRow[]> {
  const res = await api<Page<UserRow>>('GET', v1(`/orgs/${orgId}/users?limit=200${query}`), { token: admin });
  expect(res.status, res.text).toBe(200);
  return res.body.data;
}

async function auditActions(orgId: string, admin: string, targetId: string): Promise<string[]> {
  const res = await api<Page<AuditEvent>>('GET', v1(`/orgs/${orgId}/audit-events?targetId=${targetId}`), {
    token: admin,
  });
  expect(res.status).toBe(200);
  return res.body.data.map((e) => e.action);
}

describe('invitations', () => {
  let orgId: string;
  let admin: SignedIn;
  beforeAll(async () => {
    ({ orgId, admin } = await newOrg());
  });

  it('accepting sets name and password, signs in, and makes a member with the invited role', async () => {
    const email = `${unique('inv')}@example.test`;
    const inv = await invite(orgId, admin.token, email, 'member');
    expect(inv.invitation).toMatchObject({ email, role: 'member', mailStatus: null });
    expect(Date.parse(inv.invitation.expiresAt) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    const listed = (await users(orgId, admin.token)).find((u) => u.email === email);
    expect(listed).toMatchObject({ id: inv.invitation.id, name: null, status: 'invited', role: 'member' });
    expect(listed?.invitation?.expired).toBe(false);

    const res = await accept(tokenOf(inv.acceptUrl), 'Ada Lovelace');
    expect(res.status, res.text).toBe(200);
    expect(res.body.user).toMatchObject({ email, name: 'Ada Lovelace' });
    expect(res.body.organizations.map((o) => [o.id, o.role])).toContainEqual([orgId, 'member']);
    expect((await login(email, PASSWORD)).user.email).toBe(email);
    const row = (await users(orgId, admin.token)).find((u) => u.email === email);
    expect(row).toMatchObject({
      id: res.body.user.id,
      name: 'Ada Lovelace',
      status: 'active',
      invitation: null,
    });
  });

  it('a used link answers 409 invitation_used', async () => {
    const inv = await invite(orgId, admin.token, `${unique('reuse')}@example.test`);
    expect((await accept(tokenOf(inv.acceptUrl))).status).toBe(200);
    expectError(
      await accept(tokenOf(inv.acceptUrl), 'Someone Else', 'other-password-1'),
      409,
      'invitation_used',
    );
  });

  it('an expired link answers 409 invitation_expired and creates nobody', async () => {
    const email = `${unique('expired')}@example.test`;
    const inv = await invite(orgId, admin.token, email);
    await withDb((c) =>
      c.query("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1", [
        inv.invitation.id,
      ]),
    );
    const row = (await users(orgId, admin.token)).find((u) => u.email === email);
    expect(row?.invitation?.expired).toBe(true);
    const res = await accept(tokenOf(inv.acceptUrl));
    expectError(res, 409, 'invitation_expired');
    expect((res.body as unknown as ErrorBody).error.message).toMatch(/expired/);
    const accounts = await withDb((c) => c.query('SELECT 1 FROM users WHERE email = $1', [email]));
    expect(accounts.rowCount).toBe(0);
  });

  it('re-inviting replaces the old link: the old one is refused, the new one works, one row is listed', async () => {
    const email = `${unique('again')}@example.test`;
    const first = await invite(orgId, admin.token, email, 'member');
    const second = await invite(orgId, admin.token, email, 'admin');
    expect(second.acceptUrl).not.toBe(first.acceptUrl);
    const rows = (await users(orgId, admin.token)).filter((u) => u.email === email);
    expect(rows.map((r) => [r.id, r.role, r.status])).toEqual([[second.invitation.id, 'admin', 'invited']]);
    const old = await accept(tokenOf(first.acceptUrl));
    expectError(old, 409, 'invitation_used');
    expect((old.body as unknown as ErrorBody).error.message).toMatch(/replaced/);
    const res = await accept(tokenOf(second.acceptUrl));
    expect(res.status).toBe(200);
    expect(res.body.organizations.find((o) => o.id === orgId)?.role).toBe('admin');
  });

  it('inviting an email that is already a member is 409; an unknown token is 404', async () => {
    const res = await api<ErrorBody>('POST', v1(`/orgs/${orgId}/invitations`), {
      token: admin.token,
      body: { email: admin.user.email.toUpperCase(), role: 'member' },
    });
    expectError(res, 409, 'conflict');
    expect(res.body.error.message).toContain(admin.user.email);
    expectError(await accept(`ptci_${'A'.repeat(43)}`), 404, 'not_found');
  });

  it('an admin can withdraw a pending invitation: it leaves the list and its link stops working', async () => {
    const email = `${unique('withdrawn')}@example.test`;
    const inv = await invite(orgId, admin.token, email);
    const del = await api('DELETE', v1(`/orgs/${orgId}/invitations/${inv.invitation.id}`), {
      token: admin.token,
    });
    expect(del.status, del.text).toBe(204);
    expect((await users(orgId, admin.token)).some((u) => u.email === email)).toBe(false);
    expectError(await accept(tokenOf(inv.acceptUrl)), 409, 'invitation_used');
    expectError(
      await api('DELETE', v1(`/orgs/${orgId}/invitations/${inv.invitation.id}`), { token: admin.token }),
      404,
      'not_found',
    );
    expect(await auditActions(orgId, admin.token, inv.invitation.id)).toEqual(
      expect.arrayContaining(['invitation.created', 'invitation.revoked']),
    );
  });

  it('a user removed from the organization can be invited back and joins with their own session', async () => {
    const member = await addMember(orgId, admin.token, 'member');
    expect(
      (await api('DELETE', v1(`/orgs/${orgId}/users/${member.user.id}`), { token: admin.token })).status,
    ).toBe(204);
    const inv = await invite(orgId, admin.token, member.user.email);
    expectError(await accept(tokenOf(inv.acceptUrl), 'X', PASSWORD), 401, 'unauthenticated');
    const res = await api<SignedIn>('POST', v1(`/invitations/${tokenOf(inv.acceptUrl)}/accept`), {
      token: member.token,
      body: {},
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.user.id).toBe(member.user.id);
  });
});

describe('the users list', () => {
  let orgId: string;
  let admin: SignedIn;
  let alice: SignedIn;
  let bob: SignedIn;
  let invitedEmail: string;
  beforeAll(async () => {
    ({ orgId, admin } = await newOrg());
    alice = await addMember(orgId, admin.token, 'member');
    bob = await addMember(orgId, admin.token, 'member');
    await api('PATCH', v1(`/orgs/${orgId}/users/${alice.user.id}`), {
      token: admin.token,
      body: { name: 'Alice Zebra' },
    });
    invitedEmail = `${unique('zebra-invite')}@example.test`;
    await invite(orgId, admin.token, invitedEmail);
    await api('POST', v1(`/orgs/${orgId}/users/${bob.user.id}/suspend`), { token: admin.token });
  });

  it('lists members and pending invitations with role and status, ordered by email', async () => {
    const rows = await users(orgId, admin.token);
    const byEmail = new Map(rows.map((r) => [r.email, r]));
    expect(byEmail.get(admin.user.email)).toMatchObject({
      id: admin.user.id,
      role: 'admin',
      status: 'active',
    });
    expect(byEmail.get(alice.user.email)).toMatchObject({
      name: 'Alice Zebra',
      role: 'member',
      status: 'active',
    });
    expect(byEmail.get(bob.user.email)).toMatchObject({ role: 'member', status: 'suspended' });
    expect(byEmail.get(invitedEmail)).toMatchObject({ name: null, role: 'member', status: 'invited' });
    for (const r of rows) {
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining(['id', 'name', 'email', 'role', 'status', 'createdAt']),
      );
    }
    expect(rows.map((r) => r.email)).toEqual([...rows.map((r) => r.email)].sort());
  });

  it('searches by name or email, members and invitations alike', async () => {
    const zebra = await users(orgId, admin.token, '&search=zEbRa');
    expect(zebra.map((r) => r.email).sort()).toEqual([alice.user.email, invitedEmail].sort());
    const byEmail = await users(orgId, admin.token, `&search=${encodeURIComponent(bob.user.email)}`);
    expect(byEmail.map((r) => r.id)).toEqual([bob.user.id]);
    expect(await users(orgId, admin.token, '&search=%25')).toEqual([]);
  });

  it('filters by status and pages with a cursor', async () => {
    expect((await users(orgId, admin.token, '&status=suspended')).map((r) => r.id)).toEqual([bob.user.id]);
    expect((await users(orgId, admin.token, '&status=invited')).map((r) => r.email)).toEqual([invitedEmail]);
    const all = await users(orgId, admin.token);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse<Page<UserRow>> = await api<Page<UserRow>>(
        'GET',
        v1(`/orgs/${orgId}/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`),
        { token: admin.token },
      );
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((r) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((r) => r.id));
  });

  it('bad query parameters are 400 naming the field', async () => {
    const res = await api<ErrorBody>('GET', v1(`/orgs/${orgId}/users?status=gone`), { token: admin.token });
    expectError(res, 400, 'invalid_request');
    expect(res.body.error.details?.map((d) => d.field)).toEqual(['status']);
  });

  it("a member's detail has their keys, policy, groups and usage; a member sees their own", async () => {
    const key = await createKey(orgId, alice.token, { name: 'alice-key' });
    for (const token of [admin.token, alice.token]) {
      const res = await api<Record<string, unknown>>('GET', v1(`/orgs/${orgId}/users/${alice.user.id}`), {
        token,
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({
        id: alice.user.id,
        email: alice.user.email,
        role: 'member',
        status: 'active',
      });
      const keys = res.body.keys as Page<{ id: string; prefix: string; name: string }>;
      expect(keys.data.map((k) => [k.id, k.name, k.prefix])).toEqual([
        [key.key.id, 'alice-key', key.key.prefix],
      ]);
      expect(res.text).not.toContain(key.secret);
      for (const field of ['grants', 'limits', 'budgets', 'groups', 'effective'])
        expect(res.body).toHaveProperty(field);
      expect(res.body.usage).toMatchObject({
        totals: { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
      });
    }
    expectError(
      await api('GET', v1(`/orgs/${orgId}/users/${admin.user.id}`), { token: alice.token }),
      403,
      'forbidden',
    );
  });
});

describe('roles', () => {
  let orgId: string;
  let admin: SignedIn;
  let member: SignedIn;
  beforeAll(async () => {
    ({ orgId, admin, member } = await newOrgWithMember());
  });

  it("a role change applies to the user's very next request, in both directions", async () => {
    const asMember = () => api('GET', v1(`/orgs/${orgId}/audit-events`), { token: member.token });
    expectError(await asMember(), 403, 'forbidden');
    const up = await api<UserRow>('PATCH', v1(`/orgs/${orgId}/users/${member.user.id}`), {
      token: admin.token,
      body: { role: 'admin' },
    });
    expect(up.status, up.text).toBe(200);
    expect(up.body).toMatchObject({ role: 'admin', status: 'active' });
    expect((await asMember()).status).toBe(200);
    const down = await api<UserRow>('PATCH', v1(`/orgs/${orgId}/users/${member.user.id}`), {
      token: admin.token,
      body: { role: 'member' },
    });
    expect(down.body.role).toBe('member');
    expectError(await asMember(), 403, 'forbidden');
    expect(await auditActions(orgId, admin.token, member.user.id)).toEqual(
      expect.arrayContaining(['user.updated', 'user.updated']),
    );
  });

  it('members may rename themselves but not change roles or touch others', async () => {
    const self = await api<UserRow>('PATCH', v1(`/orgs/${orgId}/users/${member.user.id}`), {
      token: member.token,
      body: { name: 'Renamed Myself' },
    });
    expect(self.status, self.text).toBe(200);
    expect(self.body.name).toBe('Renamed Myself');
    expectError(
      await api('PATCH', v1(`/orgs/${orgId}/users/${member.user.id}`), {
        token: member.token,
        body: { role: 'admin' },
      }),
      403,
      'forbidden',
    );
    expectError(
      await api('PATCH', v1(`/orgs/${orgId}/users/${admin.user.id}`), {
        token: member.token,
        body: { name: 'x' },
      }),
      403,
      'forbidden',
    );
  });

  it('bad bodies are 400 naming the field', async () => {
    for (const [body, field] of [
      [{ role: 'owner' }, 'role'],
      [{ name: '' }, 'name'],
      [{}, 'role'],
      [{ role: 'admin', extra: 1 }, ''],
    ] as const) {
      const res = await api<ErrorBody>('PATCH', v1(`/orgs/${orgId}/users/${member.user.id}`), {
        token: admin.token,
        body,
      });
      expectError(res, 400, 'invalid_request');
      if (field) expect(res.body.error.details?.map((d) => d.field)).toContain(field);
    }
  });
});

describe('the last admin', () => {
  let orgId: string;
  let admin: SignedIn;
  beforeAll(async () => {
    // A fresh org whose only admin is `admin` (the bootstrap root created it, so it is an admin too):
    // the root leaves first.
    ({ orgId, admin } = await newOrg());
    const root = (
      await api<Page<UserRow>>('GET', v1(`/orgs/${orgId}/users?status=active`), { token: admin.token })
    ).body.data.find((u) => u.id !== admin.user.id);
    if (root) {
      const res = await api('DELETE', v1(`/orgs/${orgId}/users/${root.id}`), { token: admin.token });
      expect(res.status, res.text).toBe(204);
    }
    expect(
      (await users(orgId, admin.token, '&status=active')).filter((u) => u.role === 'admin'),
    ).toHaveLength(1);
  });

  it('cannot be demoted, suspended or removed (409, nothing changes)', async () => {
    const base = `/orgs/${orgId}/users/${admin.user.id}`;
    for (const [method, path, body] of [
      ['PATCH', base, { role: 'member' }],
      ['POST', `${base}/suspend`, undefined],
      ['DELETE', base, undefined],
    ] as const) {
      const res = await api<ErrorBody>(method, v1(path), { token: admin.token, body });
      expectError(res, 409, 'conflict');
      expect(res.body.error.message).toMatch(/last admin/);
    }
    const me = (await users(orgId, admin.token)).find((u) => u.id === admin.user.id);
    expect(me).toMatchObject({ role: 'admin', status: 'active' });
  });

  it('can step down once another admin exists; the other cannot then be removed', async () => {
    const second = await addMember(orgId, admin.token, 'admin');
    const res = await api<UserRow>('PATCH', v1(`/orgs/${orgId}/users/${admin.user.id}`), {
      token: admin.token,
      body: { role: 'member' },
    });
    expect(res.status, res.text).toBe(200);
    expectError(
      await api('DELETE', v1(`/orgs/${orgId}/users/${second.user.id}`), { token: second.token }),
      409,
      'conflict',
    );
    expectError(await api('GET', v1(`/orgs/${orgId}/users`), { token: admin.token }), 403, 'forbidden');
  });

  it('a suspended admin does not count: the last active admin stays protected', async () => {
    const { orgId: org2, admin: a1 } = await newOrg();
    const a2 = await addMember(org2, a1.token, 'admin');
    const root = (await users(org2, a1.token)).find((u) => u.id !== a1.user.id && u.id !== a2.user.id);
    if (root) await api('POST', v1(`/orgs/${org2}/users/${root.id}/suspend`), { token: a1.token });
    expect(
      (await api('POST', v1(`/orgs/${org2}/users/${a2.user.id}/suspend`), { token: a1.token })).status,
    ).toBe(200);
    expectError(
      await api('POST', v1(`/orgs/${org2}/users/${a1.user.id}/suspend`), { token: a1.token }),
      409,
      'conflict',
    );
  });
});

describe('suspend and reactivate (console)', () => {
  let orgId: string;
  let admin: SignedIn;
  let member: SignedIn;
  let otherOrg: string;
  let keyId: string;
  beforeAll(async () => {
    ({ orgId, admin, member } = await newOrgWithMember());
    keyId = (await createKey(orgId, member.token, { name: 'kept-while-suspended' })).key.id;
    // The same person is also a member of another organization.
    const other = await newOrg();
    otherOrg = other.orgId;
    const inv = await invite(otherOrg, other.admin.token, member.user.email);
    const joined = await api('POST', v1(`/invitations/${tokenOf(inv.acceptUrl)}/accept`), {
      token: member.token,
      body: {},
    });
    expect(joined.status, joined.text).toBe(200);
  });

  it('refuses the suspended member in this organization only, keeps their keys, and is idempotent', async () => {
    const before = await api<{ status: string }>('GET', v1(`/orgs/${orgId}/keys/${keyId}`), {
      token: admin.token,
    });
    for (let i = 0; i < 2; i++) {
      const res = await api<UserRow>('POST', v1(`/orgs/${orgId}/users/${member.user.id}/suspend`), {
        token: admin.token,
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ id: member.user.id, status: 'suspended' });
    }
    const refused = await api<ErrorBody>('GET', v1(`/orgs/${orgId}/keys`), { token: member.token });
    expectError(refused, 403, 'forbidden');
    expect(refused.body.error.message).toMatch(/suspended/);
    // Sign-in still works, and so does the other organization.
    const again = await login(member.user.email, PASSWORD);
    expect((await api('GET', v1(`/orgs/${otherOrg}/keys`), { token: again.token })).status).toBe(200);
    expectError(await api('GET', v1(`/orgs/${orgId}`), { token: again.token }), 403, 'forbidden');
    const me = await api<{ organizations: { id: string; status: string }[] }>('GET', v1('/me'), {
      token: again.token,
    });
    expect(me.body.organizations.find((o) => o.id === orgId)?.status).toBe('suspended');
    expect(me.body.organizations.find((o) => o.id === otherOrg)?.status).toBe('active');
    // The key is untouched.
    const during = await api<{ status: string }>('GET', v1(`/orgs/${orgId}/keys/${keyId}`), {
      token: admin.token,
    });
    expect(during.body).toEqual(before.body);
    const actions = await auditActions(orgId, admin.token, member.user.id);
    expect(actions.filter((a) => a === 'user.suspended')).toHaveLength(1);
  });

  it('reactivate restores access exactly (idempotent, audited)', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await api<UserRow>('POST', v1(`/orgs/${orgId}/users/${member.user.id}/reactivate`), {
        token: admin.token,
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body.status).toBe('active');
    }
    const keys = await api<Page<{ id: string; status: string }>>('GET', v1(`/orgs/${orgId}/keys`), {
      token: member.token,
    });
    expect(keys.status).toBe(200);
    expect(keys.body.data.map((k) => [k.id, k.status])).toEqual([[keyId, 'active']]);
    expect(await auditActions(orgId, admin.token, member.user.id)).toContain('user.reactivated');
  });

  it('only admins suspend; unknown users are 404', async () => {
    expectError(
      await api('POST', v1(`/orgs/${orgId}/users/${admin.user.id}/suspend`), { token: member.token }),
      403,
      'forbidden',
    );
    expectError(
      await api('POST', v1(`/orgs/${orgId}/users/00000000-0000-4000-8000-000000000000/suspend`), {
        token: admin.token,
      }),
      404,
      'not_found',
    );
  });
});

describe('delete', () => {
  it('removes the membership and keys; sessions no longer reach the org; history and audit stay', async () => {
    const { orgId, admin, member } = await newOrgWithMember();
    const key = await createKey(orgId, member.token, { name: 'goes-with-its-owner' });
    await withDb((c) =>
      c.query(
        `INSERT INTO usage_requests (id, org_id, key_id, user_id, time, method, route, model, provider, status,
           input_tokens, output_tokens, cost_micro, estimated, aborted, latency_ms, gateway_id, request_id)
         VALUES (gen_random_uuid(), $1, $2, $3, now(), 'POST', '/v1/chat/completions', 'gpt-4o-mini', 'openai',
           200, 10, 5, 42, false, false, 12.5, 'gw-test', 'req-1')`,
        [orgId, key.key.id, member.user.id],
      ),
    );

    const del = await api('DELETE', v1(`/orgs/${orgId}/users/${member.user.id}`), { token: admin.token });
    expect(del.status, del.text).toBe(204);

    expectError(await api('GET', v1(`/orgs/${orgId}/keys`), { token: member.token }), 404, 'not_found');
    expectError(
      await api('GET', v1(`/orgs/${orgId}/users/${member.user.id}`), { token: admin.token }),
      404,
      'not_found',
    );
    expect((await users(orgId, admin.token)).some((u) => u.id === member.user.id)).toBe(false);
    expectError(
      await api('GET', v1(`/orgs/${orgId}/keys/${key.key.id}`), { token: admin.token }),
      404,
      'not_found',
    );
    // The history of the deleted key still answers for admins, attributed to the deleted user.
    const history = await api<Page<{ userId: string; inputTokens: number }>>(
      'GET',
      v1(`/orgs/${orgId}/keys/${key.key.id}/requests`),
      { token: admin.token },
    );
    expect(history.status, history.text).toBe(200);
    expect(history.body.data.map((r) => [r.userId, r.inputTokens])).toEqual([[member.user.id, 10]]);
    expect(await auditActions(orgId, admin.token, member.user.id)).toEqual(
      expect.arrayContaining(['member.joined', 'user.removed']),
    );
    expect(await auditActions(orgId, admin.token, key.key.id)).toEqual(
      expect.arrayContaining(['key.created', 'key.deleted']),
    );
    // The account itself remains (it may belong to other organizations) and can still sign in.
    expect((await login(member.user.email, PASSWORD)).user.id).toBe(member.user.id);
    const verify = await api<{ ok: boolean }>('GET', v1(`/orgs/${orgId}/audit-events/verify`), {
      token: admin.token,
    });
    expect(verify.body.ok).toBe(true);
  });
});

describe('what a member sees of the model catalog', () => {
  it('only the enabled models their grants allow; admins see everything', async () => {
    const { orgId, admin, member } = await newOrgWithMember();
    const cred = await api<{ id: string }>('POST', v1(`/orgs/${orgId}/provider-credentials`), {
      token: admin.token,
      body: {
        name: unique('cred'),
        provider: 'openai_compatible',
        secret: 'sk-people-secret-00000001',
        config: { baseUrl: 'http://127.0.0.1:9/v1' },
      },
    });
    expect(cred.status, cred.text).toBe(201);
    const models: Record<string, string> = {};
    for (const [slug, enabled] of [
      ['granted-model', true],
      ['other-model', true],
      ['disabled-granted', false],
    ] as const) {
      const m = await api<{ id: string }>('POST', v1(`/orgs/${orgId}/models`), {
        token: admin.token,
        body: {
          slug,
          credentialId: cred.body.id,
          upstreamModel: 'gpt-4o-mini',
          inputPricePerMTok: 1,
          outputPricePerMTok: 1,
          enabled,
        },
      });
      expect(m.status, m.text).toBe(201);
      models[slug] = m.body.id;
    }
    const slugs = async (token: string) =>
      (await api<Page<{ slug: string }>>('GET', v1(`/orgs/${orgId}/models`), { token })).body.data.map(
        (m) => m.slug,
      );
    // No grants: members may use no model (the default), so they see none.
    expect(await slugs(member.token)).toEqual([]);
    for (const model of ['granted-model', 'disabled-granted']) {
      const g = await api('POST', v1(`/orgs/${orgId}/users/${member.user.id}/grants`), {
        token: admin.token,
        body: { model },
      });
      expect(g.status, g.text).toBe(201);
    }
    expect(await slugs(member.token)).toEqual(['granted-model']);
    expect(await slugs(admin.token)).toEqual(['disabled-granted', 'granted-model', 'other-model']);
    const own = await api('GET', v1(`/orgs/${orgId}/models/${models['granted-model']}`), {
      token: member.token,
    });
    expect(own.status).toBe(200);
    for (const slug of ['other-model', 'disabled-granted']) {
      expectError(
        await api('GET', v1(`/orgs/${orgId}/models/${models[slug]}`), { token: member.token }),
        404,
        'not_found',
      );
    }
    // A member promoted to admin sees the whole catalog on their next request.
    await api('PATCH', v1(`/orgs/${orgId}/users/${member.user.id}`), {
      token: admin.token,
      body: { role: 'admin' },
    });
    expect(await slugs(member.token)).toEqual(['disabled-granted', 'granted-model', 'other-model']);
  });
});
