/**
 * Tenant isolation and authorization as a matrix: every org-scoped route is tried by an outsider
 * (another organization's admin), by callers without a valid session, and by a plain member, and
 * each refusal must leave the target organization exactly as it was.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiResponse,
  addMember,
  api,
  createKey,
  type ErrorBody,
  login,
  newOrg,
  type Page,
  type SignedIn,
} from './client';
import { orgFingerprint, withDb } from './db';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A route under /api/v1; `:org`, `:key` and `:user` are filled in per case. */
interface Route {
  method: Method;
  path: string;
  body?: unknown;
  /** Guarded by @AdminOnly() (or an explicit admin check): a member gets 403. */
  adminOnly?: boolean;
}

interface Target {
  org: string;
  key: string;
  user: string;
}

interface Key {
  id: string;
  name: string;
  prefix: string;
  ownerId: string;
  status: string;
}
interface OrgView {
  id: string;
  name: string;
  role: string;
}

/** Every route that lives under one organization. */
const ORG_ROUTES: Route[] = [
  { method: 'GET', path: '/orgs/:org' },
  { method: 'GET', path: '/orgs/:org/keys' },
  { method: 'POST', path: '/orgs/:org/keys', body: { name: 'planted by an outsider' } },
  { method: 'GET', path: '/orgs/:org/keys/:key' },
  { method: 'PATCH', path: '/orgs/:org/keys/:key', body: { name: 'renamed by an outsider' } },
  { method: 'DELETE', path: '/orgs/:org/keys/:key' },
  { method: 'POST', path: '/orgs/:org/keys/:key/rotate' },
  { method: 'POST', path: '/orgs/:org/keys/:key/ephemeral-tokens', body: { expiresInSeconds: 60 } },
  { method: 'POST', path: '/orgs/:org/keys/:key/activate' },
  { method: 'POST', path: '/orgs/:org/keys/:key/deactivate' },
  { method: 'POST', path: '/orgs/:org/keys/:key/revoke' },
  { method: 'GET', path: '/orgs/:org/audit-events', adminOnly: true },
  { method: 'GET', path: '/orgs/:org/audit-events/verify', adminOnly: true },
  { method: 'GET', path: '/orgs/:org/users', adminOnly: true },
  { method: 'GET', path: '/orgs/:org/users/:user' },
  {
    method: 'POST',
    path: '/orgs/:org/invitations',
    body: { email: 'intruder@example.test', role: 'admin' },
    adminOnly: true,
  },
];

/** Routes that need a session but no organization. */
const SESSION_ROUTES: Route[] = [
  { method: 'GET', path: '/me' },
  { method: 'GET', path: '/orgs' },
  { method: 'POST', path: '/orgs', body: { name: 'created without a session' } },
  { method: 'POST', path: '/auth/logout' },
];

const KEY_ROUTES = ORG_ROUTES.filter((r) => r.path.includes(':key'));
const ID_ROUTES = ORG_ROUTES.filter((r) => r.path.includes(':key') || r.path.includes(':user'));
const ADMIN_ROUTES = ORG_ROUTES.filter((r) => r.adminOnly);

const label = (r: Route) => `${r.method} ${r.path}`;
const fill = (path: string, t: Target) =>
  `/api/v1${path.replace(':org', t.org).replace(':key', t.key).replace(':user', t.user)}`;

/** Every response status this file saw, for the closing no-5xx check. */
const seen: { what: string; status: number }[] = [];

async function call<T = unknown>(
  method: Method,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const res = await api<T>(method, path, opts);
  seen.push({ what: `${method} ${path}`, status: res.status });
  return res;
}

const callRoute = <T = unknown>(
  r: Route,
  t: Target,
  auth: { token?: string; headers?: Record<string, string> },
) => call<T>(r.method, fill(r.path, t), { ...auth, body: r.body });

function expectError(res: ApiResponse, status: number, code: string, context: string): void {
  expect(res.status, `${context}: ${res.text}`).toBe(status);
  expect((res.body as ErrorBody).error?.code, context).toBe(code);
}

// Org A: an admin, a member, and a key owned by each. Org B: its own admin and key.
let orgA: string;
let adminA: SignedIn;
let memberA: SignedIn;
let adminKeyA: Key;
let memberKeyA: Key;
let orgB: string;
let adminB: SignedIn;
let keyB: Key;

beforeAll(async () => {
  ({ orgId: orgA, admin: adminA } = await newOrg());
  memberA = await addMember(orgA, adminA.token, 'member');
  adminKeyA = (await createKey(orgA, adminA.token, { name: 'org-a-admin-key' })).key;
  memberKeyA = (await createKey(orgA, memberA.token, { name: 'org-a-member-key' })).key;
  ({ orgId: orgB, admin: adminB } = await newOrg());
  keyB = (await createKey(orgB, adminB.token, { name: 'org-b-key' })).key;
});

/** Runs `request` and asserts org A's fingerprint did not move. */
async function unchangedA(request: () => Promise<void>): Promise<void> {
  const before = await orgFingerprint(orgA);
  await request();
  expect(await orgFingerprint(orgA)).toBe(before);
}

describe("another organization's admin sees nothing of org A", () => {
  const keyTargets = [
    ['admin-owned', () => adminKeyA],
    ['member-owned', () => memberKeyA],
  ] as const;
  // Each route with org A's ids; key routes once per org A key.
  const cases = ORG_ROUTES.flatMap((route) =>
    route.path.includes(':key')
      ? keyTargets.map(([owner, key]) => ({ name: `${label(route)} (${owner} key)`, route, key }))
      : [{ name: label(route), route, key: keyTargets[0][1] }],
  );

  it.each(cases)('404 for $name in org A', async ({ route, key }) => {
    await unchangedA(async () => {
      const res = await callRoute(
        route,
        { org: orgA, key: key().id, user: adminA.user.id },
        { token: adminB.token },
      );
      expectError(res, 404, 'not_found', label(route));
      expect(res.text).not.toContain(key().prefix);
      expect(res.text).not.toContain(key().name);
    });
  });

  // The same ids reached through org B's own path: the id must be checked against the path's org.
  const viaOwnOrg = ID_ROUTES.flatMap((route) =>
    route.path.includes(':key')
      ? keyTargets.map(([owner, key]) => ({ name: `${label(route)} (${owner} key)`, route, key }))
      : [{ name: label(route), route, key: keyTargets[0][1] }],
  );
  it.each(viaOwnOrg)("404 for $name through org B's own path", async ({ route, key }) => {
    await unchangedA(async () => {
      const res = await callRoute(
        route,
        { org: orgB, key: key().id, user: memberA.user.id },
        { token: adminB.token },
      );
      expectError(res, 404, 'not_found', label(route));
      expect(res.text).not.toContain(key().prefix);
    });
  });

  it('cannot hand an org B key to an org A user, nor filter by one', async () => {
    await unchangedA(async () => {
      const res = await call<ErrorBody>('PATCH', `/api/v1/orgs/${orgB}/keys/${keyB.id}`, {
        token: adminB.token,
        body: { ownerId: adminA.user.id },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.details?.map((d) => d.field)).toContain('ownerId');
      const created = await call<ErrorBody>('POST', `/api/v1/orgs/${orgB}/keys`, {
        token: adminB.token,
        body: { name: 'for an outsider', ownerId: memberA.user.id },
      });
      expect(created.status).toBe(400);
      const filtered = await call<Page<Key>>('GET', `/api/v1/orgs/${orgB}/keys?ownerId=${adminA.user.id}`, {
        token: adminB.token,
      });
      expect(filtered.status).toBe(200);
      expect(filtered.body.data).toEqual([]);
    });
  });

  it("org B's key list, user list and audit trail never include org A's data", async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse<Page<Key>> = await call<Page<Key>>(
        'GET',
        `/api/v1/orgs/${orgB}/keys?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
        { token: adminB.token },
      );
      expect(page.status).toBe(200);
      ids.push(...page.body.data.map((k) => k.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(ids).toContain(keyB.id);
    expect(ids).not.toContain(adminKeyA.id);
    expect(ids).not.toContain(memberKeyA.id);

    for (const query of [
      `search=${adminKeyA.prefix}`,
      'search=org-a',
      `search=${memberKeyA.name}`,
      'status=active',
    ]) {
      const res = await call<Page<Key>>('GET', `/api/v1/orgs/${orgB}/keys?${query}`, { token: adminB.token });
      expect(res.status, query).toBe(200);
      expect(
        res.body.data.map((k) => k.id),
        query,
      ).not.toContain(adminKeyA.id);
      expect(
        res.body.data.map((k) => k.id),
        query,
      ).not.toContain(memberKeyA.id);
    }

    const users = await call<Page<{ id: string }>>('GET', `/api/v1/orgs/${orgB}/users?limit=200`, {
      token: adminB.token,
    });
    expect(users.status).toBe(200);
    expect(users.body.data.map((u) => u.id)).not.toContain(adminA.user.id);
    expect(users.body.data.map((u) => u.id)).not.toContain(memberA.user.id);

    const audit = await call<Page<unknown>>(
      'GET',
      `/api/v1/orgs/${orgB}/audit-events?targetId=${adminKeyA.id}`,
      {
        token: adminB.token,
      },
    );
    expect(audit.status).toBe(200);
    expect(audit.body.data).toEqual([]);
  });

  it("GET /orgs and GET /me for org B's admin list org B and not org A", async () => {
    const orgs = await call<Page<OrgView>>('GET', '/api/v1/orgs', { token: adminB.token });
    expect(orgs.status).toBe(200);
    expect(orgs.body.data.map((o) => o.id)).toContain(orgB);
    expect(orgs.body.data.map((o) => o.id)).not.toContain(orgA);
    const me = await call<{ organizations: OrgView[] }>('GET', '/api/v1/me', { token: adminB.token });
    expect(me.status).toBe(200);
    expect(me.body.organizations.map((o) => o.id)).toEqual([orgB]);
  });
});

describe('without a valid session every route is 401', () => {
  let loggedOut: string;
  let expired: string;

  beforeAll(async () => {
    loggedOut = (await login(adminA.user.email, 'member-password-1')).token;
    expect((await call('POST', '/api/v1/auth/logout', { token: loggedOut })).status).toBe(204);
    expired = (await login(memberA.user.email, 'member-password-1')).token;
    const tokenHash = createHash('sha256').update(expired, 'utf8').digest('hex');
    const updated = await withDb((c) =>
      c.query("UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE token_hash = $1", [
        tokenHash,
      ]),
    );
    expect(updated.rowCount).toBe(1);
  });

  const credentials: [string, () => { token?: string; headers?: Record<string, string> }][] = [
    ['no credentials', () => ({})],
    ['a garbage bearer token', () => ({ token: 'garbage' })],
    ['a forged session-shaped token', () => ({ token: `ptcs_${'A'.repeat(43)}` })],
    [
      'a non-Bearer scheme',
      () => ({ headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }),
    ],
    ['a garbage session cookie', () => ({ headers: { cookie: 'portcullis_session=garbage' } })],
    ['a logged-out session', () => ({ token: loggedOut })],
    ['an expired session', () => ({ token: expired })],
    ['an expired session as a cookie', () => ({ headers: { cookie: `portcullis_session=${expired}` } })],
  ];
  const routes = [...SESSION_ROUTES, ...ORG_ROUTES];

  describe.each(credentials)('with %s', (_name, auth) => {
    it.each(routes.map((route) => ({ name: label(route), route })))(
      '$name → 401 unauthenticated',
      async ({ route }) => {
        await unchangedA(async () => {
          const res = await callRoute(route, { org: orgA, key: adminKeyA.id, user: adminA.user.id }, auth());
          expectError(res, 401, 'unauthenticated', label(route));
          expect(res.text).not.toContain(adminKeyA.prefix);
        });
      },
    );
  });
});

describe("org A's member", () => {
  it.each(KEY_ROUTES.map((route) => ({ name: label(route), route })))(
    "$name on the admin's key → 404",
    async ({ route }) => {
      await unchangedA(async () => {
        const res = await callRoute(
          route,
          { org: orgA, key: adminKeyA.id, user: memberA.user.id },
          { token: memberA.token },
        );
        expectError(res, 404, 'not_found', label(route));
        expect(res.text).not.toContain(adminKeyA.prefix);
      });
    },
  );

  const forbidden = [...ADMIN_ROUTES, { method: 'GET', path: '/orgs/:org/users/:user' } satisfies Route];
  it.each(forbidden.map((route) => ({ name: label(route), route })))(
    '$name (admin only) → 403',
    async ({ route }) => {
      await unchangedA(async () => {
        // `:user` is the admin: a member may look only at themself.
        const res = await callRoute(
          route,
          { org: orgA, key: adminKeyA.id, user: adminA.user.id },
          { token: memberA.token },
        );
        expectError(res, 403, 'forbidden', label(route));
      });
    },
  );

  it('still reaches their own key, themself and the organization (the matrix above is not vacuous)', async () => {
    const own = await call<Key>('GET', `/api/v1/orgs/${orgA}/keys/${memberKeyA.id}`, {
      token: memberA.token,
    });
    expect(own.status).toBe(200);
    expect(own.body.name).toBe('org-a-member-key');
    const self = await call<{ id: string }>('GET', `/api/v1/orgs/${orgA}/users/${memberA.user.id}`, {
      token: memberA.token,
    });
    expect(self.status).toBe(200);
    const org = await call<OrgView>('GET', `/api/v1/orgs/${orgA}`, { token: memberA.token });
    expect(org.status).toBe(200);
    expect(org.body.role).toBe('member');
    const list = await call<Page<Key>>('GET', `/api/v1/orgs/${orgA}/keys?limit=200`, {
      token: memberA.token,
    });
    expect(list.body.data.map((k) => k.id)).toEqual([memberKeyA.id]);
  });
});

describe('ids that are not UUIDs are 404, never 500', () => {
  const badIds: [string, string][] = [
    ['a short number', '123'],
    ['a word', 'not-a-uuid'],
    ['url-encoded ../ traversal', '..%2F..%2Fusers'],
    ['url-encoded traversal to another key', `..%2F${'00000000-0000-0000-0000-000000000000'}`],
    ['a UUID with a suffix', '00000000-0000-0000-0000-000000000000x'],
    ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
    ['SQL', encodeURIComponent("' OR '1'='1")],
    ['a NUL byte', '%00'],
    ['a very long id', 'a'.repeat(5000)],
  ];

  const cases = badIds.flatMap(([what, id]) => [
    { name: `org ${what}: GET /orgs/:org/keys`, path: `/api/v1/orgs/${id}/keys`, method: 'GET' as Method },
    { name: `org ${what}: GET /orgs/:org`, path: `/api/v1/orgs/${id}`, method: 'GET' as Method },
    ...KEY_ROUTES.map((r) => ({
      name: `key ${what}: ${label(r)}`,
      path: r.path.replace(':key', id),
      method: r.method,
      body: r.body,
      orgScoped: true,
    })),
    {
      name: `user ${what}: GET /orgs/:org/users/:user`,
      path: `/orgs/:org/users/${id}`,
      method: 'GET' as Method,
      orgScoped: true,
    },
  ]);

  it.each(cases)('$name', async (c) => {
    await unchangedA(async () => {
      const path = 'orgScoped' in c ? fill(c.path, { org: orgA, key: '', user: '' }) : c.path;
      const res = await call(c.method, path, { token: adminA.token, body: 'body' in c ? c.body : undefined });
      expectError(res, 404, 'not_found', c.name);
    });
  });
});

describe('afterwards', () => {
  it("org A's keys are untouched", async () => {
    for (const key of [adminKeyA, memberKeyA]) {
      const res = await call<Key>('GET', `/api/v1/orgs/${orgA}/keys/${key.id}`, { token: adminA.token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        name: key.name,
        status: 'active',
        prefix: key.prefix,
        ownerId: key.ownerId,
      });
    }
    const orgs = await call<Page<OrgView>>('GET', '/api/v1/orgs', { token: adminA.token });
    expect(orgs.body.data.map((o) => o.id)).toEqual([orgA]);
  });
});

describe('no 5xx', () => {
  it('no request in this file received a 5xx', () => {
    expect(seen.length).toBeGreaterThan(100);
    expect(seen.filter((s) => s.status >= 500)).toEqual([]);
  });
});
