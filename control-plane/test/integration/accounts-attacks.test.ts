/**
 * Accounts and sessions, attacked a second way through the real control plane: a sign-in with the old
 * password racing a password change, and a per-address sign-in limit dodged by changing addresses
 * within one IPv6 /64 or by writing one IPv4 address in another form, and invitations from several
 * organizations for one new email accepted at once.
 */
import { describe, expect, it } from 'vitest';
import { addMember, api, type ErrorBody, newOrg, type SignedIn, unique } from './client';
import { withDb } from './db';

const v1 = (p: string) => `/api/v1${p}`;
const PASSWORD = 'member-password-1';

describe('a password change ends every session the old password opens', () => {
  it('sign-ins with the old password racing the change leave no live session behind', async () => {
    const { orgId, admin } = await newOrg();
    const victim = await addMember(orgId, admin.token, 'member');
    const email = victim.user.email;
    let changeDone = false;
    let attempt = 0;
    const stolen: string[] = [];
    // An attacker who knows the old password keeps signing in (each try from an address of its own, so
    // only the account's limit applies) until the owner's change has been answered, and once more after.
    const attacker = async (): Promise<void> => {
      for (;;) {
        const last = changeDone;
        const res = await api<SignedIn>('POST', v1('/auth/login'), {
          body: { email, password: PASSWORD },
          headers: { 'x-forwarded-for': `10.77.${Math.floor(attempt / 250)}.${attempt++ % 250}` },
        });
        if (res.status === 200) stolen.push(res.body.token);
        if (last) return;
      }
    };
    const attackers = Array.from({ length: 3 }, () => attacker());
    // Let the attackers get going before the owner acts: wait until one of them holds a session.
    await expect.poll(() => stolen.length, { timeout: 20_000, interval: 5 }).toBeGreaterThan(0);
    const changed = await api('POST', v1('/auth/password'), {
      token: victim.token,
      body: { currentPassword: PASSWORD, newPassword: 'brand-new-password-9' },
    });
    changeDone = true;
    expect(changed.status, changed.text).toBe(204);
    await Promise.all(attackers);
    expect(stolen.length).toBeGreaterThan(0);
    const alive: string[] = [];
    for (const token of new Set(stolen)) {
      if ((await api('GET', v1('/me'), { token })).status === 200) alive.push(token);
    }
    expect(alive).toEqual([]);
    // The owner's own session (the one that changed the password) goes on.
    expect((await api('GET', v1('/me'), { token: victim.token })).status).toBe(200);
  });
});

describe('the per-address sign-in limit counts a client, not a spelling of its address', () => {
  /** Wrong passwords for fresh emails (so only the per-address limit can bite), one per address. */
  async function spray(addresses: string[]): Promise<number[]> {
    const statuses: number[] = [];
    for (const ip of addresses) {
      const res = await api<ErrorBody>('POST', v1('/auth/login'), {
        body: { email: `${unique('spray6')}@example.test`, password: 'guess-password' },
        headers: { 'x-forwarded-for': ip },
      });
      statuses.push(res.status);
    }
    return statuses;
  }

  it('spellings of one email (case, surrounding spaces) share the account’s limit, also in a parallel burst', async () => {
    const { admin } = await newOrg();
    const email = admin.user.email;
    const spellings = [
      email,
      email.toUpperCase(),
      ` ${email}`,
      `${email}\t`,
      email.replace(/^./, (c) => c.toUpperCase()),
    ];
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api<ErrorBody>('POST', v1('/auth/login'), {
          body: { email: spellings[i % spellings.length], password: `wrong-password-${i}` },
          headers: { 'x-forwarded-for': `10.78.${i}.1` },
        }),
      ),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    const right = await api<ErrorBody>('POST', v1('/auth/login'), {
      body: { email: email.toUpperCase(), password: PASSWORD },
      headers: { 'x-forwarded-for': '10.78.200.1' },
    });
    expect(right.status).toBe(429);
  });

  it('addresses within one IPv6 /64 share one limit (a host there can pick any of 2^64)', async () => {
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(
      Math.random() * 0xffff,
    ).toString(16)}`;
    const addresses = Array.from({ length: 24 }, (_, i) => `${prefix}:${(i + 1).toString(16)}::${i + 7}`);
    const statuses = await spray(addresses);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual(Array(4).fill(429));
    // Another /64 is another client.
    const [other] = await spray([`2001:db8:ffff:${Math.floor(Math.random() * 0xffff).toString(16)}::1`]);
    expect(other).toBe(401);
  });

  it('an IPv4 address and its IPv4-mapped IPv6 form share one limit', async () => {
    const ip = `100.65.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const addresses = Array.from({ length: 22 }, (_, i) => (i % 2 === 0 ? ip : `::ffff:${ip}`));
    const statuses = await spray(addresses);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual([429, 429]);
  });
});

describe('invitations for one new email accepted at once', () => {
  it('make one account; every other accept is told to sign in as it, and joins nothing', async () => {
    const orgs = await Promise.all([newOrg(), newOrg(), newOrg()]);
    const email = `${unique('twice')}@example.test`;
    const tokens: string[] = [];
    for (const { orgId, admin } of orgs) {
      const inv = await api<{ acceptUrl: string }>('POST', v1(`/orgs/${orgId}/invitations`), {
        token: admin.token,
        body: { email, role: 'member' },
      });
      expect(inv.status, inv.text).toBe(201);
      tokens.push(inv.body.acceptUrl.split('/').pop() ?? '');
    }
    const answers = await Promise.all(
      tokens.map((t, i) =>
        api<ErrorBody>('POST', v1(`/invitations/${t}/accept`), {
          body: { name: `Claimant ${i}`, password: `claimant-password-${i}` },
        }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401]);
    for (const refused of answers.filter((a) => a.status === 401)) {
      expect(refused.body.error.code).toBe('unauthenticated');
      expect(refused.body.error.message).toContain(`sign in as ${email}`);
    }
    const counts = await withDb(async (c) => {
      const users = await c.query('SELECT id FROM users WHERE email = $1', [email]);
      const memberships = await c.query(
        'SELECT count(*)::int AS n FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1',
        [email],
      );
      return { users: users.rows.length, memberships: memberships.rows[0].n as number };
    });
    expect(counts).toEqual({ users: 1, memberships: 1 });
  });
});
