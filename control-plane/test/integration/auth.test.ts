import { describe, expect, it } from 'vitest';
import { api, type ErrorBody, login, loginBootstrap, newOrg, type SignedIn, unique } from './client';
import { withDb } from './db';
import { BOOTSTRAP } from './global-setup';

describe('sign-in', () => {
  it('returns a token, the user and their organizations, and sets an HttpOnly session cookie', async () => {
    const res = await api<SignedIn>('POST', '/api/v1/auth/login', {
      body: { email: BOOTSTRAP.email.toUpperCase(), password: BOOTSTRAP.password },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe(BOOTSTRAP.email);
    expect(res.body.organizations.map((o) => o.name)).toContain(BOOTSTRAP.org);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^portcullis_session=ptcs_/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);

    const viaCookie = await api<{ user: { email: string } }>('GET', '/api/v1/me', {
      headers: { cookie: cookie.split(';')[0] ?? '' },
    });
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.body.user.email).toBe(BOOTSTRAP.email);
    const viaBearer = await api<{ user: { email: string } }>('GET', '/api/v1/me', { token: res.body.token });
    expect(viaBearer.body.user.email).toBe(BOOTSTRAP.email);
  });

  it('stores sessions only as hashes', async () => {
    const s = await loginBootstrap();
    const found = await withDb(
      async (c) =>
        (await c.query('SELECT count(*)::int AS n FROM sessions WHERE token_hash = $1', [s.token])).rows[0].n,
    );
    expect(found).toBe(0);
  });

  it('refuses a wrong password and an unknown email alike', async () => {
    const ip = '198.51.100.10';
    for (const body of [
      { email: BOOTSTRAP.email, password: 'wrong-password' },
      { email: 'nobody@example.test', password: 'whatever-password' },
    ]) {
      const res = await api<ErrorBody>('POST', '/api/v1/auth/login', {
        body,
        headers: { 'x-forwarded-for': ip },
      });
      expect(res.status).toBe(401);
      expect(res.body.error).toEqual({ code: 'invalid_credentials', message: 'Wrong email or password' });
    }
  });

  it('logout ends the session', async () => {
    const s = await loginBootstrap();
    expect((await api('POST', '/api/v1/auth/logout', { token: s.token })).status).toBe(204);
    const after = await api<ErrorBody>('GET', '/api/v1/me', { token: s.token });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthenticated');
  });

  it('an expired session is refused', async () => {
    const s = await loginBootstrap();
    await withDb((c) =>
      c.query(
        "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND created_at > now() - interval '2 seconds'",
        [s.user.id],
      ),
    );
    expect((await api('GET', '/api/v1/me', { token: s.token })).status).toBe(401);
  });
});

describe('failed sign-ins are rate-limited', () => {
  it('per email: the 6th failure in a row is refused with Retry-After, even with the right password', async () => {
    const { orgId, admin } = await newOrg();
    expect(orgId).toBeTruthy();
    const email = admin.user.email;
    for (let i = 0; i < 5; i++) {
      const res = await api('POST', '/api/v1/auth/login', {
        body: { email, password: 'wrong-password' },
        headers: { 'x-forwarded-for': `198.51.100.${20 + i}` },
      });
      expect(res.status).toBe(401);
    }
    const blocked = await api<ErrorBody>('POST', '/api/v1/auth/login', {
      body: { email, password: 'member-password-1' },
      headers: { 'x-forwarded-for': '198.51.100.40' },
    });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('too_many_attempts');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
    // Other accounts are unaffected.
    await expect(loginBootstrap()).resolves.toMatchObject({ user: { email: BOOTSTRAP.email } });
  });

  it('per IP: 20 failures across many emails block that address only', async () => {
    const ip = '203.0.113.99';
    for (let i = 0; i < 20; i++) {
      const res = await api('POST', '/api/v1/auth/login', {
        body: { email: `${unique('spray')}@example.test`, password: 'guess-password' },
        headers: { 'x-forwarded-for': ip },
      });
      expect(res.status).toBe(401);
    }
    const blocked = await api<ErrorBody>('POST', '/api/v1/auth/login', {
      body: { email: BOOTSTRAP.email, password: BOOTSTRAP.password },
      headers: { 'x-forwarded-for': ip },
    });
    expect(blocked.status).toBe(429);
    await expect(login(BOOTSTRAP.email, BOOTSTRAP.password, '203.0.113.100')).resolves.toBeTruthy();
  });
});

describe('organizations and invitations', () => {
  it('a user may belong to several organizations with different roles', async () => {
    const a = await newOrg();
    const b = await newOrg();
    const inv = await api<{
      acceptUrl: string;
      invitation: { email: string; role: string; expiresAt: string };
    }>('POST', `/api/v1/orgs/${b.orgId}/invitations`, {
      token: b.admin.token,
      body: { email: a.admin.user.email, role: 'member' },
    });
    expect(inv.status).toBe(201);
    expect(inv.body.invitation.role).toBe('member');
    const days = (Date.parse(inv.body.invitation.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    const token = inv.body.acceptUrl.split('/').pop();
    // An existing account joins with its own session (see accounts.test.ts for the refusals).
    const accepted = await api<SignedIn>('POST', `/api/v1/invitations/${token}/accept`, {
      token: a.admin.token,
      body: {},
    });
    expect(accepted.status).toBe(200);
    const orgs = await api<{ data: { id: string; role: string }[] }>('GET', '/api/v1/orgs', {
      token: a.admin.token,
    });
    expect(orgs.body.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: a.orgId, role: 'admin' }),
        expect.objectContaining({ id: b.orgId, role: 'member' }),
      ]),
    );
    const reused = await api<ErrorBody>('POST', `/api/v1/invitations/${token}/accept`, {
      token: a.admin.token,
      body: {},
    });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('invitation_used');
  });

  it('an expired invitation and a replaced one are refused clearly; unknown tokens are 404', async () => {
    const { orgId, admin } = await newOrg();
    const email = `${unique('late')}@example.test`;
    const first = await api<{ acceptUrl: string; invitation: { id: string } }>(
      'POST',
      `/api/v1/orgs/${orgId}/invitations`,
      {
        token: admin.token,
        body: { email, role: 'member' },
      },
    );
    const second = await api<{ acceptUrl: string; invitation: { id: string } }>(
      'POST',
      `/api/v1/orgs/${orgId}/invitations`,
      {
        token: admin.token,
        body: { email, role: 'member' },
      },
    );
    const replaced = await api<ErrorBody>(
      'POST',
      `/api/v1/invitations/${first.body.acceptUrl.split('/').pop()}/accept`,
      {
        body: { name: 'Late', password: 'member-password-1' },
      },
    );
    expect(replaced.status).toBe(409);
    expect(replaced.body.error.code).toBe('invitation_used');
    await withDb((c) =>
      c.query("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1", [
        second.body.invitation.id,
      ]),
    );
    const expired = await api<ErrorBody>(
      'POST',
      `/api/v1/invitations/${second.body.acceptUrl.split('/').pop()}/accept`,
      {
        body: { name: 'Late', password: 'member-password-1' },
      },
    );
    expect(expired.status).toBe(409);
    expect(expired.body.error.code).toBe('invitation_expired');
    const unknown = await api<ErrorBody>('POST', '/api/v1/invitations/ptci_nope/accept', {
      body: { name: 'Late', password: 'member-password-1' },
    });
    expect(unknown.status).toBe(404);
  });

  it('refuses to invite someone who is already a member', async () => {
    const { orgId, admin } = await newOrg();
    const res = await api<ErrorBody>('POST', `/api/v1/orgs/${orgId}/invitations`, {
      token: admin.token,
      body: { email: admin.user.email, role: 'member' },
    });
    expect(res.status).toBe(409);
  });

  it('lists and shows members to admins', async () => {
    const { orgId, admin } = await newOrg();
    const res = await api<{ data: { id: string; email: string; role: string }[]; nextCursor: string | null }>(
      'GET',
      `/api/v1/orgs/${orgId}/users?search=${encodeURIComponent(admin.user.email)}`,
      { token: admin.token },
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([expect.objectContaining({ id: admin.user.id, role: 'admin' })]);
    const one = await api<{ id: string }>('GET', `/api/v1/orgs/${orgId}/users/${admin.user.id}`, {
      token: admin.token,
    });
    expect(one.body.id).toBe(admin.user.id);
    expect(one.text).not.toMatch(/password/i);
  });
});
