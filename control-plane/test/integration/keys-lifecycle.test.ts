import { beforeAll, describe, expect, it } from 'vitest';
import { api, createKey, type ErrorBody, newOrg, newOrgWithMember, type Page, type SignedIn } from './client';
import { withDb } from './db';

interface Key {
  id: string;
  name: string;
  ownerId: string;
  prefix: string;
  status: string;
  expiresAt: string | null;
  lastRotatedAt: string | null;
  limits: Record<string, number | null>;
  budget: { limitUsd: number; period: string; alertThresholds: number[]; spentUsd: number } | null;
  allowedProviders: string[];
  allowedModels: string[];
  ipAllowlist: string[];
  metadata: Record<string, unknown>;
  mcp: { enabled: boolean; mode: string; servers: string[]; tools: Record<string, string[]> };
  requestCount: number;
  usageShare: number;
}

let orgId: string;
let admin: SignedIn;
let member: SignedIn;
const keysPath = () => `/api/v1/orgs/${orgId}/keys`;

beforeAll(async () => {
  ({ orgId, admin, member } = await newOrgWithMember());
});

async function auditActions(targetId: string): Promise<string[]> {
  const res = await api<Page<{ action: string }>>(
    'GET',
    `/api/v1/orgs/${orgId}/audit-events?targetId=${targetId}`,
    {
      token: admin.token,
    },
  );
  expect(res.status).toBe(200);
  return res.body.data.map((e) => e.action).reverse();
}

describe('create', () => {
  it('creates a key with every field and reveals the secret once', async () => {
    const res = await api<{ key: Key; secret: string }>('POST', keysPath(), {
      token: admin.token,
      body: {
        name: 'Production API',
        expiresIn: '90d',
        limits: { requestsPerMinute: 600, concurrentRequests: 4 },
        budget: { limitUsd: 50, period: 'monthly', alertThresholds: [100, 50, 80] },
        allowedProviders: ['openai', 'anthropic'],
        allowedModels: ['gpt-4o-mini'],
        ipAllowlist: ['10.0.0.0/8', '2001:DB8::/32', '203.0.113.7'],
        metadata: { team: 'backend', cost_center: 42 },
        mcp: { enabled: true, mode: 'allow_list', servers: ['github'], tools: { github: ['search_issues'] } },
      },
    });
    expect(res.status).toBe(201);
    const { key, secret } = res.body;
    expect(secret.startsWith(`${key.prefix}_`)).toBe(true);
    expect(key).toMatchObject({
      name: 'Production API',
      ownerId: admin.user.id,
      status: 'active',
      limits: {
        requestsPerMinute: 600,
        tokensPerMinute: null,
        inputTokensPerMinute: null,
        outputTokensPerMinute: null,
        concurrentRequests: 4,
      },
      budget: { limitUsd: 50, period: 'monthly', alertThresholds: [50, 80, 100], spentUsd: 0 },
      allowedProviders: ['openai', 'anthropic'],
      allowedModels: ['gpt-4o-mini'],
      ipAllowlist: ['10.0.0.0/8', '2001:db8::/32', '203.0.113.7'],
      metadata: { team: 'backend', cost_center: 42 },
      mcp: { enabled: true, mode: 'allow_list', servers: ['github'], tools: { github: ['search_issues'] } },
      requestCount: 0,
      usageShare: 0,
    });
    const days = (Date.parse(key.expiresAt ?? '') - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    const got = await api<Key & { secret?: string }>('GET', `${keysPath()}/${key.id}`, {
      token: admin.token,
    });
    expect(got.status).toBe(200);
    expect(got.text).not.toContain(secret);
    expect(await auditActions(key.id)).toEqual(['key.created']);
  });

  it.each([
    ['never', null],
    ['30d', 30],
    ['60d', 60],
    ['180d', 180],
    ['1y', 365],
  ])('expiry preset %s', async (preset, days) => {
    const { key } = await createKey(orgId, admin.token, { expiresIn: preset });
    const got = await api<Key>('GET', `${keysPath()}/${key.id}`, { token: admin.token });
    if (days === null) expect(got.body.expiresAt).toBeNull();
    else
      expect(
        Math.round((Date.parse(got.body.expiresAt ?? '') - Date.now()) / 86_400_000),
      ).toBeGreaterThanOrEqual(days - 1);
  });

  it('accepts a custom expiry date', async () => {
    const at = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const { key } = await createKey(orgId, admin.token, { expiresAt: at });
    const got = await api<Key>('GET', `${keysPath()}/${key.id}`, { token: admin.token });
    expect(got.body.expiresAt).toBe(at);
  });

  it('lets an admin create a key for a member, and not a member for anyone else', async () => {
    const forMember = await createKey(orgId, admin.token, { ownerId: member.user.id });
    expect(forMember.key.ownerId).toBe(member.user.id);
    const own = await createKey(orgId, member.token);
    expect(own.key.ownerId).toBe(member.user.id);
    const refused = await api<ErrorBody>('POST', keysPath(), {
      token: member.token,
      body: { name: 'not mine', ownerId: admin.user.id },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
  });

  it('answers a body over 2 MB with 413 payload_too_large and creates nothing', async () => {
    const res = await api<ErrorBody>('POST', keysPath(), {
      token: admin.token,
      rawBody: JSON.stringify({ name: 'x', metadata: { blob: 'a'.repeat(3 * 1024 * 1024) } }),
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    const found = await api<Page<Key>>('GET', `${keysPath()}?search=x&limit=200`, { token: admin.token });
    expect(found.body.data.filter((k) => k.name === 'x')).toHaveLength(0);
  });

  it('refuses an owner who is not in the organization', async () => {
    const other = await newOrg();
    const res = await api<ErrorBody>('POST', keysPath(), {
      token: admin.token,
      body: { name: 'x', ownerId: other.admin.user.id },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details?.[0]?.field).toBe('ownerId');
  });
});

describe('state transitions', () => {
  it('deactivate → activate → rotate → revoke, each audited, revoked is final', async () => {
    const { key, secret } = await createKey(orgId, admin.token);
    const path = `${keysPath()}/${key.id}`;
    const hashBefore = await withDb(
      async (c) =>
        (await c.query('SELECT secret_hash FROM api_keys WHERE id = $1', [key.id])).rows[0].secret_hash,
    );

    const off = await api<Key>('POST', `${path}/deactivate`, { token: admin.token });
    expect(off.status).toBe(200);
    expect(off.body.status).toBe('inactive');
    const again = await api<Key>('POST', `${path}/deactivate`, { token: admin.token });
    expect(again.body.status).toBe('inactive');

    const on = await api<Key>('POST', `${path}/activate`, { token: admin.token });
    expect(on.body.status).toBe('active');

    const rotated = await api<{ key: Key; secret: string }>('POST', `${path}/rotate`, { token: admin.token });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(secret);
    expect(rotated.body.key.prefix).toBe(key.prefix);
    expect(rotated.body.key.lastRotatedAt).not.toBeNull();
    const hashAfter = await withDb(
      async (c) =>
        (await c.query('SELECT secret_hash FROM api_keys WHERE id = $1', [key.id])).rows[0].secret_hash,
    );
    expect(hashAfter).not.toBe(hashBefore);
    expect(hashAfter).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    const revoked = await api<Key>('POST', `${path}/revoke`, { token: admin.token });
    expect(revoked.body.status).toBe('revoked');

    for (const [method, suffix, body] of [
      ['POST', '/activate', undefined],
      ['POST', '/deactivate', undefined],
      ['POST', '/rotate', undefined],
      ['POST', '/revoke', undefined],
      ['PATCH', '', { name: 'renamed' }],
    ] as const) {
      const res = await api<ErrorBody>(method, `${path}${suffix}`, { token: admin.token, body });
      expect(res.status, `${method} ${suffix}`).toBe(409);
      expect(res.body.error.code).toBe('key_revoked');
    }
    expect(await auditActions(key.id)).toEqual([
      'key.created',
      'key.deactivated',
      'key.activated',
      'key.rotated',
      'key.revoked',
    ]);
  });

  it('derives expired from expiresAt; an expired key cannot be activated or rotated until given a new expiry', async () => {
    const { key } = await createKey(orgId, admin.token, { expiresIn: '30d' });
    await withDb((c) =>
      c.query("UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1", [key.id]),
    );
    const path = `${keysPath()}/${key.id}`;
    const got = await api<Key>('GET', path, { token: admin.token });
    expect(got.body.status).toBe('expired');
    const listed = await api<Page<Key>>('GET', `${keysPath()}?status=expired`, { token: admin.token });
    expect(listed.body.data.map((k) => k.id)).toContain(key.id);
    const active = await api<Page<Key>>('GET', `${keysPath()}?status=active&limit=200`, {
      token: admin.token,
    });
    expect(active.body.data.map((k) => k.id)).not.toContain(key.id);
    for (const suffix of ['/activate', '/rotate']) {
      const res = await api<ErrorBody>('POST', `${path}${suffix}`, { token: admin.token });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('key_expired');
    }
    const extended = await api<Key>('PATCH', path, { token: admin.token, body: { expiresIn: '60d' } });
    expect(extended.status).toBe(200);
    expect(extended.body.status).toBe('active');
  });

  it('edits fields, merging limits and replacing lists', async () => {
    const { key } = await createKey(orgId, admin.token, {
      limits: { requestsPerMinute: 10, tokensPerMinute: 1000 },
    });
    const res = await api<Key>('PATCH', `${keysPath()}/${key.id}`, {
      token: admin.token,
      body: {
        name: 'Renamed',
        limits: { tokensPerMinute: null, concurrentRequests: 2 },
        ipAllowlist: ['192.168.0.0/16'],
        budget: { limitUsd: 5, period: 'daily' },
        expiresAt: null,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'Renamed',
      limits: { requestsPerMinute: 10, tokensPerMinute: null, concurrentRequests: 2 },
      ipAllowlist: ['192.168.0.0/16'],
      budget: { limitUsd: 5, period: 'daily', alertThresholds: [] },
      expiresAt: null,
    });
    const events = await api<Page<{ action: string; before: Key; after: Key }>>(
      'GET',
      `/api/v1/orgs/${orgId}/audit-events?targetId=${key.id}&action=key.updated`,
      { token: admin.token },
    );
    expect(events.body.data).toHaveLength(1);
    expect(events.body.data[0]?.before.name).toBe(key.name);
    expect(events.body.data[0]?.after.name).toBe('Renamed');
    // The trail keeps limits readable (they are not secrets).
    expect(events.body.data[0]?.before.limits.tokensPerMinute).toBe(1000);
    expect(events.body.data[0]?.after.limits.concurrentRequests).toBe(2);
  });

  it('deletes a key: gone from get and list, audited, hash erased', async () => {
    const { key } = await createKey(orgId, admin.token);
    const del = await api('DELETE', `${keysPath()}/${key.id}`, { token: admin.token });
    expect(del.status).toBe(204);
    expect((await api('GET', `${keysPath()}/${key.id}`, { token: admin.token })).status).toBe(404);
    expect((await api('DELETE', `${keysPath()}/${key.id}`, { token: admin.token })).status).toBe(404);
    const listed = await api<Page<Key>>('GET', `${keysPath()}?search=${key.prefix}`, { token: admin.token });
    expect(listed.body.data).toHaveLength(0);
    const row = await withDb(
      async (c) => (await c.query('SELECT secret_hash FROM api_keys WHERE id = $1', [key.id])).rows[0],
    );
    expect(row.secret_hash).toBeNull();
    expect(await auditActions(key.id)).toEqual(['key.created', 'key.deleted']);
  });
});

describe('members and their keys', () => {
  it('a member sees and manages only their own keys', async () => {
    const mine = await createKey(orgId, member.token);
    const theirs = await createKey(orgId, admin.token);
    const list = await api<Page<Key>>('GET', `${keysPath()}?limit=200`, { token: member.token });
    expect(list.body.data.every((k) => k.ownerId === member.user.id)).toBe(true);
    expect(list.body.data.map((k) => k.id)).toContain(mine.key.id);
    for (const [method, suffix] of [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['POST', '/rotate'],
      ['POST', '/activate'],
      ['POST', '/deactivate'],
      ['POST', '/revoke'],
    ] as const) {
      const res = await api<ErrorBody>(method, `${keysPath()}/${theirs.key.id}${suffix}`, {
        token: member.token,
        body: method === 'PATCH' ? { name: 'stolen' } : undefined,
      });
      expect(res.status, `${method} ${suffix}`).toBe(404);
    }
    const mineOff = await api<Key>('POST', `${keysPath()}/${mine.key.id}/deactivate`, {
      token: member.token,
    });
    expect(mineOff.body.status).toBe('inactive');
    const adminSees = await api<Key>('GET', `${keysPath()}/${mine.key.id}`, { token: admin.token });
    expect(adminSees.status).toBe(200);
    const steal = await api<ErrorBody>('PATCH', `${keysPath()}/${mine.key.id}`, {
      token: member.token,
      body: { ownerId: admin.user.id },
    });
    expect(steal.status).toBe(403);
  });

  it('members cannot read the audit trail or list users', async () => {
    expect((await api('GET', `/api/v1/orgs/${orgId}/audit-events`, { token: member.token })).status).toBe(
      403,
    );
    expect(
      (await api('GET', `/api/v1/orgs/${orgId}/audit-events/verify`, { token: member.token })).status,
    ).toBe(403);
    expect((await api('GET', `/api/v1/orgs/${orgId}/users`, { token: member.token })).status).toBe(403);
    expect(
      (
        await api('POST', `/api/v1/orgs/${orgId}/invitations`, {
          token: member.token,
          body: { email: 'x@y.z', role: 'admin' },
        })
      ).status,
    ).toBe(403);
  });
});

describe('list: search, filter, sort, paginate', () => {
  let listOrg: string;
  let token: string;
  const names = [
    'alpha',
    'Bravo',
    'charlie',
    'delta',
    'echo',
    "o'brien; DROP TABLE api_keys;--",
    '100%_done',
  ];

  beforeAll(async () => {
    const o = await newOrg();
    listOrg = o.orgId;
    token = o.admin.token;
    for (const name of names) await createKey(listOrg, token, { name });
  });
  const list = (query: string) => api<Page<Key>>('GET', `/api/v1/orgs/${listOrg}/keys?${query}`, { token });

  it('searches by name, case-insensitively, with LIKE characters taken literally', async () => {
    expect((await list('search=ALPHA')).body.data.map((k) => k.name)).toEqual(['alpha']);
    expect((await list('search=%25_')).body.data.map((k) => k.name)).toEqual(['100%_done']);
    const sqlish = await list(`search=${encodeURIComponent("'brien; DROP TABLE api_keys;--")}`);
    expect(sqlish.status).toBe(200);
    expect(sqlish.body.data.map((k) => k.name)).toEqual(["o'brien; DROP TABLE api_keys;--"]);
  });

  it('treats empty query parameters as absent', async () => {
    const res = await list('search=&status=&order=&sort=name&cursor=');
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(names.length);
  });

  it('searches by prefix', async () => {
    const all = await list('limit=200');
    const target = all.body.data[3];
    const res = await list(`search=${target?.prefix}`);
    expect(res.body.data.map((k) => k.id)).toEqual([target?.id]);
  });

  it('sorts by name both ways', async () => {
    const asc = (await list('sort=name&order=asc&limit=200')).body.data.map((k) => k.name.toLowerCase());
    expect(asc).toEqual([...asc].sort());
    const desc = (await list('sort=name&order=desc&limit=200')).body.data.map((k) => k.name.toLowerCase());
    expect(desc).toEqual([...asc].reverse());
  });

  it('sorts by status, owner and requests', async () => {
    const all = (await list('limit=200')).body.data;
    await api('POST', `/api/v1/orgs/${listOrg}/keys/${all[0]?.id}/revoke`, { token });
    await api('POST', `/api/v1/orgs/${listOrg}/keys/${all[1]?.id}/deactivate`, { token });
    const statuses = (await list('sort=status&limit=200')).body.data.map((k) => k.status);
    expect(statuses).toEqual([...statuses].sort());
    expect(new Set(statuses)).toEqual(new Set(['active', 'inactive', 'revoked']));
    expect((await list('sort=owner')).status).toBe(200);
    expect((await list('sort=requests')).status).toBe(200);
    const revoked = (await list('status=revoked')).body.data;
    expect(revoked.map((k) => k.id)).toEqual([all[0]?.id]);
  });

  it('pages with a cursor without gaps or repeats, for every sort', async () => {
    for (const sort of ['name', 'owner', 'status', 'requests', 'created']) {
      for (const order of ['asc', 'desc']) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res: Awaited<ReturnType<typeof list>> = await list(
            `sort=${sort}&order=${order}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          );
          expect(res.status).toBe(200);
          seen.push(...res.body.data.map((k) => k.id));
          cursor = res.body.nextCursor;
          pages++;
        } while (cursor && pages < 10);
        expect(seen, `${sort} ${order}`).toHaveLength(names.length);
        expect(new Set(seen).size).toBe(names.length);
      }
    }
  });

  it('refuses a cursor from another sort order', async () => {
    const first = await list('sort=name&limit=2');
    const res = await api<ErrorBody>(
      'GET',
      `/api/v1/orgs/${listOrg}/keys?sort=created&cursor=${first.body.nextCursor}`,
      {
        token,
      },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.details?.[0]?.field).toBe('cursor');
  });
});
