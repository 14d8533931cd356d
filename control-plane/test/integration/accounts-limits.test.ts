/**
 * A control plane of its own with small per-user caps, an https public dashboard URL and no trusted
 * proxies: the caps hold (also under a parallel burst), the session cookie is Secure, and a client
 * cannot pick its own address with X-Forwarded-For.
 */

import { databaseUrl } from '@portcullis/testing/processes';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, Stack, uid } from './webhooks-harness';

let stack: Stack;
/** One organization (the root may create only two, its bootstrap one included) with an admin and a member. */
let org: { orgId: string; admin: string; member: string };

beforeAll(async () => {
  stack = new Stack({
    MAX_ORGANIZATIONS_PER_USER: '2',
    MAX_KEYS_PER_USER: '2',
    MAX_EPHEMERAL_TOKENS_PER_KEY: '2',
    PUBLIC_DASHBOARD_URL: 'https://console.example.test',
  });
  await stack.start();
  org = await stack.newOrg();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

interface ErrorBody {
  error: { code: string; message: string };
}

describe('per-user caps', () => {
  it('organizations a user may create: a parallel burst creates exactly the cap, the rest get 409 limit_reached', async () => {
    const token = org.member;
    const burst = await Promise.all(
      Array.from({ length: 6 }, () => stack.call<ErrorBody>('POST', '/orgs', token, { name: `o-${uid()}` })),
    );
    expect(burst.filter((r) => r.status === 201)).toHaveLength(2);
    const refused = burst.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(4);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('limit_reached');
      expect(r.body.error.message).toContain('MAX_ORGANIZATIONS_PER_USER');
    }
  });

  it('keys per user: beyond the cap 409 limit_reached; deleting one frees a place', async () => {
    const { orgId, admin: token } = org;
    const burst = await Promise.all(
      Array.from({ length: 5 }, () =>
        stack.call<{ key: { id: string } } & ErrorBody>('POST', `/orgs/${orgId}/keys`, token, {
          name: `k-${uid()}`,
        }),
      ),
    );
    const made = burst.filter((r) => r.status === 201);
    expect(made).toHaveLength(2);
    for (const r of burst.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('limit_reached');
    }
    const first = made[0]?.body.key.id;
    expect((await stack.call('DELETE', `/orgs/${orgId}/keys/${first}`, token)).status).toBe(204);
    const again = await stack.call('POST', `/orgs/${orgId}/keys`, token, { name: `k-${uid()}` });
    expect(again.status, again.text).toBe(201);
  });

  it('keys per user: an admin cannot hand a key over to someone already at the cap', async () => {
    const { orgId, admin: token } = org;
    /** A fresh member of the organization (no keys yet). */
    const freshMember = async (): Promise<string> => {
      const email = `holder-${uid()}@example.test`;
      const inv = await stack.call<{ acceptUrl: string }>('POST', `/orgs/${orgId}/invitations`, token, {
        email,
        role: 'member',
      });
      expect(inv.status, inv.text).toBe(201);
      const acc = await stack.call<{ user: { id: string } }>(
        'POST',
        `/invitations/${inv.body.acceptUrl.split('/').pop()}/accept`,
        undefined,
        { name: 'Holder', password: 'member-password-1' },
      );
      expect(acc.status, acc.text).toBe(200);
      return acc.body.user.id;
    };
    const full = await freshMember();
    const other = await freshMember();
    for (let i = 0; i < 2; i++) {
      const made = await stack.call('POST', `/orgs/${orgId}/keys`, token, {
        name: `k-${uid()}`,
        ownerId: full,
      });
      expect(made.status, made.text).toBe(201);
    }
    const third = await stack.call<ErrorBody>('POST', `/orgs/${orgId}/keys`, token, {
      name: `k-${uid()}`,
      ownerId: full,
    });
    expect(third.status).toBe(409);
    // The same third key, made for someone else and then handed over.
    const spare = await stack.call<{ key: { id: string } }>('POST', `/orgs/${orgId}/keys`, token, {
      name: `k-${uid()}`,
      ownerId: other,
    });
    expect(spare.status, spare.text).toBe(201);
    const handOver = await stack.call<ErrorBody>('PATCH', `/orgs/${orgId}/keys/${spare.body.key.id}`, token, {
      ownerId: full,
    });
    expect(handOver.status, handOver.text).toBe(409);
    expect(handOver.body.error.code).toBe('limit_reached');
    const kept = await stack.call<{ ownerId: string }>(
      'GET',
      `/orgs/${orgId}/keys/${spare.body.key.id}`,
      token,
    );
    expect(kept.body.ownerId).toBe(other);
  });

  it('live ephemeral tokens per key: beyond the cap 429 too_many_tokens', async () => {
    const { orgId, member: token } = org;
    const key = await stack.call<{ key: { id: string } }>('POST', `/orgs/${orgId}/keys`, token, {
      name: `k-${uid()}`,
    });
    expect(key.status).toBe(201);
    const path = `/orgs/${orgId}/keys/${key.body.key.id}/ephemeral-tokens`;
    const burst = await Promise.all(
      Array.from({ length: 4 }, () => stack.call<ErrorBody>('POST', path, token, { expiresInSeconds: 600 })),
    );
    expect(burst.filter((r) => r.status === 201)).toHaveLength(2);
    for (const r of burst.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(429);
      expect(r.body.error.code).toBe('too_many_tokens');
      // The first live token expires in at most 600 s: that is when a place frees up.
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(600);
    }
  });
});

describe('public URL and client addresses', () => {
  it('the session cookie is Secure when the dashboard is served over https', async () => {
    const res = await fetch(`${stack.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ROOT),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
  });

  it('without TRUSTED_PROXIES a client cannot choose its own address with X-Forwarded-For', async () => {
    const email = `spoof-${uid()}@example.test`;
    const res = await fetch(`${stack.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.77' },
      body: JSON.stringify({ email, password: 'guess-password' }),
    });
    expect(res.status).toBe(401);
    const client = new pg.Client({ connectionString: databaseUrl(stack.db) });
    await client.connect();
    try {
      const rows = await client.query('SELECT source_ip FROM login_attempts WHERE email = $1', [email]);
      expect(rows.rows.map((r) => r.source_ip)).toEqual(['127.0.0.1']);
    } finally {
      await client.end();
    }
  });
});
