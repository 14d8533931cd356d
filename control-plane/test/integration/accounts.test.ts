/**
 * Accounts and sessions, attacked through the real control plane: invitations as a password oracle,
 * parallel sign-in bursts, cross-site requests riding the session cookie, sessions that outlive a
 * password change, and the periodic pruning of what is past its time.
 */
import { describe, expect, it } from 'vitest';
import { api, type ErrorBody, login, newOrg, newOrgWithMember, type SignedIn, unique } from './client';
import { withDb } from './db';

const v1 = (p: string) => `/api/v1${p}`;
const PASSWORD = 'member-password-1';
const DASHBOARD_ORIGIN = 'http://localhost:3000';

interface Invited {
  invitation: { id: string; email: string };
  acceptUrl: string | null;
}

const tokenOf = (acceptUrl: string | null) => acceptUrl?.split('/').pop() ?? '';

async function invite(orgId: string, adminToken: string, email: string, role = 'member'): Promise<Invited> {
  const res = await api<Invited>('POST', v1(`/orgs/${orgId}/invitations`), {
    token: adminToken,
    body: { email, role },
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

/** A session as the browser holds it: the cookie only. */
async function cookieLogin(email: string, password: string): Promise<string> {
  const res = await api('POST', v1('/auth/login'), { body: { email, password } });
  expect(res.status, res.text).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

describe('invitations are not a password oracle', () => {
  it('a stranger who invites an existing account cannot guess its password on accept, however many tries', async () => {
    const victim = await newOrg();
    const attacker = await newOrg();
    const inv = await invite(attacker.orgId, attacker.admin.token, victim.admin.user.email);
    const token = tokenOf(inv.acceptUrl);
    for (const password of ['guess-number-1', 'guess-number-2', PASSWORD]) {
      const res = await api<ErrorBody>('POST', v1(`/invitations/${token}/accept`), {
        body: { name: 'Victim', password },
      });
      // The same answer for a wrong and the right password: nothing is learnt, no session is made.
      expect(res.status, res.text).toBe(401);
      expect(res.body.error.code).toBe('unauthenticated');
      expect(res.body.error.message).toContain('sign in');
      expect(res.text).not.toMatch(/ptcs_/);
    }
    // Nor with the attacker's own session: the invitation is someone else's.
    const asAttacker = await api<ErrorBody>('POST', v1(`/invitations/${token}/accept`), {
      token: attacker.admin.token,
      body: {},
    });
    expect(asAttacker.status).toBe(403);
    expect(asAttacker.body.error.code).toBe('forbidden');
    const memberships = await withDb(
      async (c) =>
        (
          await c.query('SELECT count(*)::int AS n FROM memberships WHERE org_id = $1 AND user_id = $2', [
            attacker.orgId,
            victim.admin.user.id,
          ])
        ).rows[0].n,
    );
    expect(memberships).toBe(0);
  });

  it('the invitee joins with their own session, without a password; the link then is used', async () => {
    const a = await newOrg();
    const b = await newOrg();
    const inv = await invite(b.orgId, b.admin.token, a.admin.user.email);
    const token = tokenOf(inv.acceptUrl);
    const peek = await api<{
      invitation: { email: string; organization: { name: string } };
      accountExists: boolean;
    }>('GET', v1(`/invitations/${token}`));
    expect(peek.status, peek.text).toBe(200);
    expect(peek.body.invitation.email).toBe(a.admin.user.email);
    expect(peek.body.accountExists).toBe(true);
    const accepted = await api<{ user: { id: string } }>('POST', v1(`/invitations/${token}/accept`), {
      token: a.admin.token,
      body: {},
    });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.user.id).toBe(a.admin.user.id);
    const orgs = await api<{ data: { id: string; role: string }[] }>('GET', v1('/orgs'), {
      token: a.admin.token,
    });
    expect(orgs.body.data).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: b.orgId, role: 'member' })]),
    );
    const again = await api<ErrorBody>('POST', v1(`/invitations/${token}/accept`), {
      token: a.admin.token,
      body: {},
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('invitation_used');
  });

  it('a new account takes the invitation’s email; name and password are required and named when missing', async () => {
    const { orgId, admin } = await newOrg();
    const email = `${unique('fresh')}@example.test`;
    const inv = await invite(orgId, admin.token, email);
    const token = tokenOf(inv.acceptUrl);
    const missing = await api<ErrorBody>('POST', v1(`/invitations/${token}/accept`), { body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details?.map((d) => d.field).sort()).toEqual(['name', 'password']);
    const res = await api<SignedIn>('POST', v1(`/invitations/${token}/accept`), {
      body: { name: 'Fresh Person', password: PASSWORD },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.user.email).toBe(email);
    expect(res.body.token).toMatch(/^ptcs_/);
  });
});

describe('sign-in throttling holds under concurrency', () => {
  it('a parallel burst of wrong passwords for one account gets no more tries than a sequential one', async () => {
    const { admin } = await newOrg();
    const email = admin.user.email;
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        api<ErrorBody>('POST', v1('/auth/login'), {
          body: { email, password: `wrong-password-${i}` },
          headers: { 'x-forwarded-for': `198.18.${i}.1` },
        }),
      ),
    );
    const statuses = burst.map((r) => r.status);
    // Exactly the sequential allowance (5) was checked against the password; the rest were refused.
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25);
    const blocked = await api<ErrorBody>('POST', v1('/auth/login'), {
      body: { email, password: PASSWORD },
      headers: { 'x-forwarded-for': '198.18.200.1' },
    });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('too_many_attempts');
  });

  it('a parallel burst from one address across many accounts gets no more tries than a sequential one', async () => {
    const ip = '198.19.77.7';
    const burst = await Promise.all(
      Array.from({ length: 40 }, () =>
        api('POST', v1('/auth/login'), {
          body: { email: `${unique('spray')}@example.test`, password: 'guess-password' },
          headers: { 'x-forwarded-for': ip },
        }),
      ),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });

  it('a success clears the account’s count, so its owner is not locked out by earlier typos', async () => {
    const { admin } = await newOrg();
    const ip = '198.18.250.9';
    // Twice: the success before the second round must have cleared the first round's count.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) {
        const res = await api('POST', v1('/auth/login'), {
          body: { email: admin.user.email, password: 'typo-password' },
          headers: { 'x-forwarded-for': ip },
        });
        expect(res.status).toBe(401);
      }
      await expect(login(admin.user.email, PASSWORD, ip)).resolves.toBeTruthy();
    }
  });
});

describe('cross-site requests are refused', () => {
  it('a cookie-authenticated change from another origin is 403; from the dashboard it works; Bearer is unaffected', async () => {
    const { admin } = await newOrg();
    const cookie = await cookieLogin(admin.user.email, PASSWORD);
    const evil = await api<ErrorBody>('POST', v1('/orgs'), {
      body: { name: unique('csrf') },
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(evil.status, evil.text).toBe(403);
    expect(evil.body.error.code).toBe('cross_site_request');
    const nullOrigin = await api<ErrorBody>('POST', v1('/orgs'), {
      body: { name: unique('csrf') },
      headers: { cookie, origin: 'null' },
    });
    expect(nullOrigin.status).toBe(403);
    const fetchMeta = await api<ErrorBody>('POST', v1('/orgs'), {
      body: { name: unique('csrf') },
      headers: { cookie, 'sec-fetch-site': 'cross-site' },
    });
    expect(fetchMeta.status).toBe(403);
    const same = await api('POST', v1('/orgs'), {
      body: { name: unique('csrf') },
      headers: { cookie, origin: DASHBOARD_ORIGIN, 'sec-fetch-site': 'same-origin' },
    });
    expect(same.status, same.text).toBe(201);
    const bearer = await api('POST', v1('/orgs'), {
      token: admin.token,
      body: { name: unique('csrf') },
      headers: { origin: 'https://evil.example' },
    });
    expect(bearer.status, bearer.text).toBe(201);
    // Reads are not state changes.
    const read = await api('GET', v1('/me'), { headers: { cookie, origin: 'https://evil.example' } });
    expect(read.status).toBe(200);
  });

  it('a cross-site sign-in (login CSRF) is refused', async () => {
    const { admin } = await newOrg();
    const res = await api<ErrorBody>('POST', v1('/auth/login'), {
      body: { email: admin.user.email, password: PASSWORD },
      headers: { origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('every response forbids framing', async () => {
    for (const path of ['/me', '/auth/login', '/nope']) {
      const res = await api('GET', v1(path));
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });
});

describe('sessions can be ended', () => {
  it('changing the password ends every other session and the old password', async () => {
    const { member } = await newOrgWithMember();
    const email = member.user.email;
    const other = await login(email, PASSWORD);
    const wrong = await api<ErrorBody>('POST', v1('/auth/password'), {
      token: member.token,
      body: { currentPassword: 'not-the-password', newPassword: 'brand-new-password-1' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    const short = await api<ErrorBody>('POST', v1('/auth/password'), {
      token: member.token,
      body: { currentPassword: PASSWORD, newPassword: 'short' },
    });
    expect(short.status).toBe(400);
    expect(short.body.error.details?.[0]?.field).toBe('newPassword');
    const changed = await api('POST', v1('/auth/password'), {
      token: member.token,
      body: { currentPassword: PASSWORD, newPassword: 'brand-new-password-1' },
    });
    expect(changed.status, changed.text).toBe(204);
    expect((await api('GET', v1('/me'), { token: other.token })).status).toBe(401);
    expect((await api('GET', v1('/me'), { token: member.token })).status).toBe(200);
    expect((await api('POST', v1('/auth/login'), { body: { email, password: PASSWORD } })).status).toBe(401);
    await expect(login(email, 'brand-new-password-1')).resolves.toBeTruthy();
  });

  it('logout-everywhere ends every session of the user, the current one too', async () => {
    const { admin, member } = await newOrgWithMember();
    const second = await login(member.user.email, PASSWORD);
    const res = await api('POST', v1('/auth/logout-everywhere'), { token: member.token });
    expect(res.status).toBe(204);
    expect((await api('GET', v1('/me'), { token: member.token })).status).toBe(401);
    expect((await api('GET', v1('/me'), { token: second.token })).status).toBe(401);
    expect((await api('GET', v1('/me'), { token: admin.token })).status).toBe(200);
  });

  it('lists one’s own sessions without any token value', async () => {
    const { member } = await newOrgWithMember();
    const second = await login(member.user.email, PASSWORD);
    const res = await api<{ data: { id: string; current: boolean; createdAt: string; expiresAt: string }[] }>(
      'GET',
      v1('/auth/sessions'),
      { token: second.token },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toHaveLength(2);
    expect(res.body.data.filter((s) => s.current)).toHaveLength(1);
    expect(res.text).not.toContain(second.token);
    expect(res.text).not.toContain(member.token);
    expect(res.text).not.toMatch(/ptcs_|token/i);
  });

  it('an admin ends a member’s sessions (audited); a member may not; another org’s admin sees 404', async () => {
    const { orgId, admin, member } = await newOrgWithMember();
    const other = await newOrg();
    const path = v1(`/orgs/${orgId}/users/${member.user.id}/sessions`);
    expect((await api('DELETE', path, { token: member.token })).status).toBe(403);
    expect((await api('DELETE', path, { token: other.admin.token })).status).toBe(404);
    expect((await api('GET', v1('/me'), { token: member.token })).status).toBe(200);
    const res = await api<{ ended: number }>('DELETE', path, { token: admin.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.ended).toBe(1);
    expect((await api('GET', v1('/me'), { token: member.token })).status).toBe(401);
    const audit = await api<{ data: { action: string; target: { id: string }; after: unknown }[] }>(
      'GET',
      v1(`/orgs/${orgId}/audit-events?action=user.sessions_ended`),
      { token: admin.token },
    );
    expect(audit.body.data).toEqual([
      expect.objectContaining({ target: { id: member.user.id, type: 'user' }, after: { ended: 1 } }),
    ]);
  });
});
