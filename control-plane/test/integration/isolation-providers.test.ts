/**
 * Tenant isolation for provider credentials, models and gateways, as a matrix: every route × {another
 * organization's admin, no session, a plain member}; each refusal leaves org A exactly as it was.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { addMember, api, type ErrorBody, newOrg, type SignedIn } from './client';
import { orgFingerprint } from './db';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
interface Route {
  method: Method;
  path: string;
  body?: unknown;
  adminOnly: boolean;
}
interface Ids {
  org: string;
  cred: string;
  model: string;
  gateway: string;
}

const ROUTES: Route[] = [
  { method: 'GET', path: '/orgs/:org/provider-credentials', adminOnly: true },
  {
    method: 'POST',
    path: '/orgs/:org/provider-credentials',
    body: { name: 'planted', provider: 'anthropic', secret: 'sk-ant-0123456789abcdefghijklmnop' },
    adminOnly: true,
  },
  { method: 'GET', path: '/orgs/:org/provider-credentials/:cred', adminOnly: true },
  {
    method: 'PATCH',
    path: '/orgs/:org/provider-credentials/:cred',
    body: { name: 'renamed' },
    adminOnly: true,
  },
  { method: 'DELETE', path: '/orgs/:org/provider-credentials/:cred?force=true', adminOnly: true },
  { method: 'GET', path: '/orgs/:org/models', adminOnly: false },
  {
    method: 'POST',
    path: '/orgs/:org/models',
    body: {
      slug: 'planted',
      credentialId: ':cred',
      upstreamModel: 'x',
      inputPricePerMTok: 0,
      outputPricePerMTok: 0,
    },
    adminOnly: true,
  },
  { method: 'GET', path: '/orgs/:org/models/:model', adminOnly: false },
  { method: 'PATCH', path: '/orgs/:org/models/:model', body: { enabled: false }, adminOnly: true },
  { method: 'DELETE', path: '/orgs/:org/models/:model', adminOnly: true },
  { method: 'POST', path: '/orgs/:org/gateway-tokens', body: { name: 'planted' }, adminOnly: true },
  { method: 'GET', path: '/orgs/:org/gateways', adminOnly: true },
  { method: 'DELETE', path: '/orgs/:org/gateways/:gateway', adminOnly: true },
];

const fill = (s: string, ids: Ids) =>
  s
    .replace(':org', ids.org)
    .replace(':cred', ids.cred)
    .replace(':model', ids.model)
    .replace(':gateway', ids.gateway);
const call = (r: Route, pathIds: Ids, bodyIds: Ids, token?: string) =>
  api<ErrorBody>(r.method, `/api/v1${fill(r.path, pathIds)}`, {
    token,
    body: r.body === undefined ? undefined : JSON.parse(fill(JSON.stringify(r.body), bodyIds)),
  });

let a: Ids;
let b: Ids;
let adminA: SignedIn;
let memberA: SignedIn;
let adminB: SignedIn;

async function seed(orgId: string, token: string): Promise<Ids> {
  const cred = await api<{ id: string }>('POST', `/api/v1/orgs/${orgId}/provider-credentials`, {
    token,
    body: { name: 'seed', provider: 'anthropic', secret: 'sk-ant-seed-0123456789abcdefghijklmnop' },
  });
  const model = await api<{ id: string }>('POST', `/api/v1/orgs/${orgId}/models`, {
    token,
    body: {
      slug: 'seed',
      credentialId: cred.body.id,
      upstreamModel: 'x',
      inputPricePerMTok: 1,
      outputPricePerMTok: 1,
    },
  });
  const gw = await api<{ gateway: { id: string } }>('POST', `/api/v1/orgs/${orgId}/gateway-tokens`, {
    token,
    body: { name: 'seed' },
  });
  return { org: orgId, cred: cred.body.id, model: model.body.id, gateway: gw.body.gateway.id };
}

beforeAll(async () => {
  const orgA = await newOrg();
  adminA = orgA.admin;
  memberA = await addMember(orgA.orgId, adminA.token, 'member');
  a = await seed(orgA.orgId, adminA.token);
  const orgB = await newOrg();
  adminB = orgB.admin;
  b = await seed(orgB.orgId, adminB.token);
});

async function unchanged(fn: () => Promise<void>): Promise<void> {
  const before = await orgFingerprint(a.org);
  await fn();
  expect(await orgFingerprint(a.org)).toBe(before);
}

const label = (r: Route) => `${r.method} ${r.path}`;

describe('provider credentials, models and gateways are invisible to other organizations', () => {
  it.each(ROUTES.map((r) => ({ name: label(r), r })))(
    "404 for B's admin on $name in org A",
    async ({ r }) => {
      await unchanged(async () => {
        const res = await call(r, a, a, adminB.token);
        expect(res.status, res.text).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      });
    },
  );

  const idRoutes = ROUTES.filter((r) => /:(cred|model|gateway)/.test(r.path));
  it.each(idRoutes.map((r) => ({ name: label(r), r })))(
    "404 for B's admin on $name through org B's path with org A's ids",
    async ({ r }) => {
      await unchanged(async () => {
        const res = await call(r, { ...a, org: b.org }, { ...a, org: b.org }, adminB.token);
        expect(res.status, res.text).toBe(404);
      });
    },
  );

  it("B's lists never show A's objects", async () => {
    for (const path of ['provider-credentials', 'models', 'gateways']) {
      const res = await api(`GET`, `/api/v1/orgs/${b.org}/${path}`, { token: adminB.token });
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(a.cred);
      expect(res.text).not.toContain(a.model);
      expect(res.text).not.toContain(a.gateway);
    }
  });
});

describe('anonymous and member callers', () => {
  it.each(ROUTES.map((r) => ({ name: label(r), r })))('401 without a session: $name', async ({ r }) => {
    await unchanged(async () => {
      const res = await call(r, a, a);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthenticated');
    });
  });

  const adminRoutes = ROUTES.filter((r) => r.adminOnly);
  it.each(adminRoutes.map((r) => ({ name: label(r), r })))('403 for a member: $name', async ({ r }) => {
    await unchanged(async () => {
      const res = await call(r, a, a, memberA.token);
      expect(res.status, res.text).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    });
  });

  it('members read only the models they may use (none without grants, by default)', async () => {
    const list = await api<{ data: unknown[] }>('GET', `/api/v1/orgs/${a.org}/models`, {
      token: memberA.token,
    });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([]);
    expect(
      (await api('GET', `/api/v1/orgs/${a.org}/models/${a.model}`, { token: memberA.token })).status,
    ).toBe(404);
    // "No grants means all models": the catalog opens to members.
    const set = (v: string) =>
      api('PATCH', `/api/v1/orgs/${a.org}/settings`, {
        token: adminA.token,
        body: { modelAccessWithoutGrants: v },
      });
    expect((await set('all')).status).toBe(200);
    try {
      expect(
        (await api('GET', `/api/v1/orgs/${a.org}/models/${a.model}`, { token: memberA.token })).status,
      ).toBe(200);
    } finally {
      await set('none');
    }
  });

  it("a gateway token reaches only its own organization's snapshot", async () => {
    const tokenB = await api<{ token: string }>('POST', `/api/v1/orgs/${b.org}/gateway-tokens`, {
      token: adminB.token,
      body: { name: 'b-edge' },
    });
    const snap = await api<{ orgId: string }>('GET', '/api/v1/gateway/snapshot', {
      token: tokenB.body.token,
    });
    expect(snap.body.orgId).toBe(b.org);
    expect(snap.text).not.toContain(a.cred);
    // Gateway tokens open no org route.
    const res = await api('GET', `/api/v1/orgs/${b.org}/models`, { token: tokenB.body.token });
    expect(res.status).toBe(401);
  });
});
