/**
 * THE ROLE MATRIX: every route the control plane publishes in GET /api/openapi.json, called by an
 * admin of the organization, a member, another organization's admin and an anonymous caller, against
 * the status class written in the table below. A route without a row fails the test, so a new route
 * must state who may call it; a row for a route that no longer exists fails it too.
 *
 * The spec: anonymous callers get 401 everywhere but sign-in, invitation accept, health (and the
 * OpenAPI document); another organization's admin gets 404 on anything of this organization; a member
 * gets 403 on admin routes and 2xx (or 404 for what is not theirs) on member routes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { addMember, api, createKey, login, newOrg, type SignedIn, unique } from './client';

type Expect = '2xx' | 401 | 403 | 404;
type Who = 'admin' | 'member' | 'outsider' | 'anonymous';
type Ids = Record<string, string>;

interface Row {
  admin: Expect;
  member: Expect;
  outsider: Expect;
  anonymous: Expect;
  /** Path parameters (`{org}` is filled in always); called once per caller, so each may get fresh objects. */
  ids?: (who: Who) => Promise<Ids>;
  body?: (ids: Ids) => unknown;
  /** Call with a throwaway session of that caller (routes that end the session). */
  freshSession?: boolean;
  /** Call as a throwaway user of orgA (routes that end all of a user's sessions or change their password). */
  throwawayUser?: boolean;
}

// Shorthands for the usual shapes of a row.
const PUBLIC = { admin: '2xx', member: '2xx', outsider: '2xx', anonymous: '2xx' } as const;
const SIGNED_IN = { admin: '2xx', member: '2xx', outsider: '2xx', anonymous: 401 } as const;
const MEMBER_ROUTE = { admin: '2xx', member: '2xx', outsider: 404, anonymous: 401 } as const;
const ADMIN_ROUTE = { admin: '2xx', member: 403, outsider: 404, anonymous: 401 } as const;
/** Gateway routes take a gateway token, not a session: every console caller is 401. */
const GATEWAY_ROUTE = { admin: 401, member: 401, outsider: 401, anonymous: 401 } as const;

const PASSWORD = 'member-password-1';

let orgA: string;
let admin: SignedIn;
let member: SignedIn;
let outsider: SignedIn;
let credentialId: string;
let modelSlug: string;
let modelId: string;
let mcpServerId: string;
let groupId: string;
let webhookId: string;

const orgPath = (p: string) => `/orgs/${orgA}${p}`;

async function ok<T>(method: string, path: string, body?: unknown, token = admin.token): Promise<T> {
  const res = await api<T>(method, `/api/v1${path}`, { token, body });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.body;
}

/** Fresh objects for calls that consume them (deletes, state changes). */
const fresh = {
  memberKey: async () => (await createKey(orgA, member.token, { name: unique('matrix-key') })).key.id,
  member: async () => (await addMember(orgA, admin.token, 'member')).user.id,
  invitation: async () =>
    (
      await ok<{ invitation: { id: string }; acceptUrl: string }>('POST', orgPath('/invitations'), {
        email: `${unique('matrix')}@example.test`,
        role: 'member',
      })
    ).invitation.id,
  invitationToken: async () =>
    (
      await ok<{ acceptUrl: string }>('POST', orgPath('/invitations'), {
        email: `${unique('matrix-accept')}@example.test`,
        role: 'member',
      })
    ).acceptUrl
      .split('/')
      .pop() ?? '',
  credential: async () =>
    (
      await ok<{ id: string }>('POST', orgPath('/provider-credentials'), {
        name: unique('matrix-cred'),
        provider: 'openai_compatible',
        secret: 'sk-matrix-secret-000000000001',
        config: { baseUrl: 'http://127.0.0.1:9/v1' },
      })
    ).id,
  model: async () => {
    const slug = unique('matrix-model').toLowerCase();
    const m = await ok<{ id: string }>('POST', orgPath('/models'), {
      slug,
      credentialId,
      upstreamModel: 'gpt-4o-mini',
      inputPricePerMTok: 1,
      outputPricePerMTok: 2,
      enabled: true,
    });
    return { id: m.id, slug };
  },
  mcpServer: async () =>
    (
      await ok<{ id: string }>('POST', orgPath('/mcp-servers'), {
        name: unique('matrix-mcp').toLowerCase(),
        url: 'http://127.0.0.1:9/mcp',
      })
    ).id,
  group: async () =>
    (await ok<{ id: string }>('POST', orgPath('/groups'), { name: unique('matrix-group') })).id,
  webhook: async () =>
    (await ok<{ webhook: { id: string } }>('POST', orgPath('/webhooks'), { url: 'http://127.0.0.1:9/hooks' }))
      .webhook.id,
  gateway: async () =>
    (await ok<{ gateway: { id: string } }>('POST', orgPath('/gateway-tokens'), { name: unique('matrix-gw') }))
      .gateway.id,
};

const memberOwnKey = async () => ({ id: await fresh.memberKey() });

/** Every route, by `METHOD /path` as the OpenAPI document spells it. */
const MATRIX: Record<string, Row> = {
  // Public.
  'GET /healthz': PUBLIC,
  'GET /metrics': PUBLIC,
  'POST /api/v1/auth/login': { ...PUBLIC, body: () => ({ email: member.user.email, password: PASSWORD }) },
  'POST /api/v1/invitations/{token}/accept': {
    ...PUBLIC,
    ids: async () => ({ token: await fresh.invitationToken() }),
    body: () => ({ name: 'Matrix Person', password: PASSWORD }),
  },
  'GET /api/v1/invitations/{token}': {
    ...PUBLIC,
    ids: async () => ({ token: await fresh.invitationToken() }),
  },
  // A session, no organization.
  'POST /api/v1/auth/logout': { ...SIGNED_IN, freshSession: true },
  'POST /api/v1/auth/logout-everywhere': { ...SIGNED_IN, throwawayUser: true },
  'POST /api/v1/auth/password': {
    ...SIGNED_IN,
    throwawayUser: true,
    body: () => ({ currentPassword: PASSWORD, newPassword: 'matrix-new-password-1' }),
  },
  'GET /api/v1/auth/sessions': SIGNED_IN,
  'GET /api/v1/me': SIGNED_IN,
  'GET /api/v1/orgs': SIGNED_IN,
  'POST /api/v1/orgs': { ...SIGNED_IN, body: () => ({ name: unique('matrix-org') }) },
  // The organization.
  'GET /api/v1/orgs/{org}': MEMBER_ROUTE,
  'GET /api/v1/orgs/{org}/settings': ADMIN_ROUTE,
  'PATCH /api/v1/orgs/{org}/settings': { ...ADMIN_ROUTE, body: () => ({ modelAccessWithoutGrants: 'none' }) },
  // Keys: members work on their own (each call gets a fresh key of the member's).
  'GET /api/v1/orgs/{org}/keys': MEMBER_ROUTE,
  'POST /api/v1/orgs/{org}/keys': { ...MEMBER_ROUTE, body: () => ({ name: unique('matrix-new-key') }) },
  'GET /api/v1/orgs/{org}/keys/{id}': { ...MEMBER_ROUTE, ids: memberOwnKey },
  'PATCH /api/v1/orgs/{org}/keys/{id}': {
    ...MEMBER_ROUTE,
    ids: memberOwnKey,
    body: () => ({ name: 'renamed' }),
  },
  'DELETE /api/v1/orgs/{org}/keys/{id}': { ...MEMBER_ROUTE, ids: memberOwnKey },
  'POST /api/v1/orgs/{org}/keys/{id}/rotate': { ...MEMBER_ROUTE, ids: memberOwnKey },
  'POST /api/v1/orgs/{org}/keys/{id}/ephemeral-tokens': {
    ...MEMBER_ROUTE,
    ids: memberOwnKey,
    body: () => ({ expiresInSeconds: 60 }),
  },
  'POST /api/v1/orgs/{org}/keys/{id}/activate': { ...MEMBER_ROUTE, ids: memberOwnKey },
  'POST /api/v1/orgs/{org}/keys/{id}/deactivate': { ...MEMBER_ROUTE, ids: memberOwnKey },
  'POST /api/v1/orgs/{org}/keys/{id}/revoke': { ...MEMBER_ROUTE, ids: memberOwnKey },
  'GET /api/v1/orgs/{org}/keys/{id}/requests': { ...MEMBER_ROUTE, ids: memberOwnKey },
  'GET /api/v1/orgs/{org}/usage': MEMBER_ROUTE,
  // Users: the member looks at themself; everything else is for admins.
  'GET /api/v1/orgs/{org}/users': ADMIN_ROUTE,
  'GET /api/v1/orgs/{org}/users/{id}': { ...MEMBER_ROUTE, ids: async () => ({ id: member.user.id }) },
  'PATCH /api/v1/orgs/{org}/users/{id}': {
    ...MEMBER_ROUTE,
    ids: async () => ({ id: member.user.id }),
    body: () => ({ name: 'Matrix Member' }),
  },
  'DELETE /api/v1/orgs/{org}/users/{id}': { ...ADMIN_ROUTE, ids: async () => ({ id: await fresh.member() }) },
  'DELETE /api/v1/orgs/{org}/users/{id}/sessions': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.member() }),
  },
  'POST /api/v1/orgs/{org}/users/{id}/suspend': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.member() }),
  },
  'POST /api/v1/orgs/{org}/users/{id}/reactivate': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.member() }),
  },
  'POST /api/v1/orgs/{org}/invitations': {
    ...ADMIN_ROUTE,
    body: () => ({ email: `${unique('matrix-invite')}@example.test`, role: 'member' }),
  },
  'DELETE /api/v1/orgs/{org}/invitations/{id}': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.invitation() }),
  },
  'GET /api/v1/orgs/{org}/users/{id}/grants': { ...MEMBER_ROUTE, ids: async () => ({ id: member.user.id }) },
  'POST /api/v1/orgs/{org}/users/{id}/grants': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.member() }),
    body: () => ({ model: modelSlug }),
  },
  'DELETE /api/v1/orgs/{org}/users/{id}/grants/{model}': {
    ...ADMIN_ROUTE,
    ids: async () => {
      const id = await fresh.member();
      await ok('POST', orgPath(`/users/${id}/grants`), { model: modelSlug });
      return { id, model: modelSlug };
    },
  },
  'GET /api/v1/orgs/{org}/users/{id}/limits': { ...MEMBER_ROUTE, ids: async () => ({ id: member.user.id }) },
  'PUT /api/v1/orgs/{org}/users/{id}/limits': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: member.user.id }),
    body: () => ({ requestsPerMinute: 1000 }),
  },
  // Groups: a member reads the groups they are in (the fixture group has the member in it).
  'GET /api/v1/orgs/{org}/groups': MEMBER_ROUTE,
  'POST /api/v1/orgs/{org}/groups': { ...ADMIN_ROUTE, body: () => ({ name: unique('matrix-new-group') }) },
  'GET /api/v1/orgs/{org}/groups/{id}': { ...MEMBER_ROUTE, ids: async () => ({ id: groupId }) },
  'PATCH /api/v1/orgs/{org}/groups/{id}': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.group() }),
    body: () => ({ name: unique('matrix-renamed') }),
  },
  'DELETE /api/v1/orgs/{org}/groups/{id}': { ...ADMIN_ROUTE, ids: async () => ({ id: await fresh.group() }) },
  'PUT /api/v1/orgs/{org}/groups/{id}/members/{userId}': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.group(), userId: member.user.id }),
  },
  'DELETE /api/v1/orgs/{org}/groups/{id}/members/{userId}': {
    ...ADMIN_ROUTE,
    ids: async () => {
      const id = await fresh.group();
      await ok('PUT', orgPath(`/groups/${id}/members/${member.user.id}`));
      return { id, userId: member.user.id };
    },
  },
  'GET /api/v1/orgs/{org}/groups/{id}/grants': { ...MEMBER_ROUTE, ids: async () => ({ id: groupId }) },
  'POST /api/v1/orgs/{org}/groups/{id}/grants': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.group() }),
    body: () => ({ model: modelSlug }),
  },
  'DELETE /api/v1/orgs/{org}/groups/{id}/grants/{model}': {
    ...ADMIN_ROUTE,
    ids: async () => {
      const id = await fresh.group();
      await ok('POST', orgPath(`/groups/${id}/grants`), { model: modelSlug });
      return { id, model: modelSlug };
    },
  },
  'GET /api/v1/orgs/{org}/groups/{id}/limits': { ...MEMBER_ROUTE, ids: async () => ({ id: groupId }) },
  'PUT /api/v1/orgs/{org}/groups/{id}/limits': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: groupId }),
    body: () => ({ concurrentRequests: 10 }),
  },
  // Provider credentials: admins only (secrets, even masked, are not for members).
  'GET /api/v1/orgs/{org}/provider-credentials': ADMIN_ROUTE,
  'POST /api/v1/orgs/{org}/provider-credentials': {
    ...ADMIN_ROUTE,
    body: () => ({
      name: unique('matrix-new-cred'),
      provider: 'openai',
      secret: 'sk-matrix-secret-000000000002',
    }),
  },
  'GET /api/v1/orgs/{org}/provider-credentials/{id}': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: credentialId }),
  },
  'PATCH /api/v1/orgs/{org}/provider-credentials/{id}': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.credential() }),
    body: () => ({ name: unique('matrix-renamed-cred') }),
  },
  'DELETE /api/v1/orgs/{org}/provider-credentials/{id}': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.credential() }),
  },
  // Models: members read the ones they may use (the member holds a grant on the fixture model).
  'GET /api/v1/orgs/{org}/models': MEMBER_ROUTE,
  'POST /api/v1/orgs/{org}/models': {
    ...ADMIN_ROUTE,
    body: () => ({
      slug: unique('matrix-new-model').toLowerCase(),
      credentialId,
      upstreamModel: 'gpt-4o',
      inputPricePerMTok: 1,
      outputPricePerMTok: 1,
      enabled: true,
    }),
  },
  'GET /api/v1/orgs/{org}/models/{id}': { ...MEMBER_ROUTE, ids: async () => ({ id: modelId }) },
  'PATCH /api/v1/orgs/{org}/models/{id}': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: (await fresh.model()).id }),
    body: () => ({ inputPricePerMTok: 3 }),
  },
  'DELETE /api/v1/orgs/{org}/models/{id}': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: (await fresh.model()).id }),
  },
  // MCP servers: members read them (to set their keys' MCP policy); admins change them.
  'GET /api/v1/orgs/{org}/mcp-servers': MEMBER_ROUTE,
  'POST /api/v1/orgs/{org}/mcp-servers': {
    ...ADMIN_ROUTE,
    body: () => ({ name: unique('matrix-new-mcp').toLowerCase(), url: 'http://127.0.0.1:9/mcp' }),
  },
  'GET /api/v1/orgs/{org}/mcp-servers/{id}': { ...MEMBER_ROUTE, ids: async () => ({ id: mcpServerId }) },
  'PATCH /api/v1/orgs/{org}/mcp-servers/{id}': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.mcpServer() }),
    body: () => ({ description: 'changed' }),
  },
  'DELETE /api/v1/orgs/{org}/mcp-servers/{id}': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.mcpServer() }),
  },
  // The fixture server is unreachable: the admin's refresh is refused for that reason (not 2xx), which
  // is still proof the admin got past authorization; see the check below.
  'POST /api/v1/orgs/{org}/mcp-servers/{id}/refresh-tools': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: mcpServerId }),
  },
  // Gateways, webhooks and the audit trail: admins only.
  'POST /api/v1/orgs/{org}/gateway-tokens': {
    ...ADMIN_ROUTE,
    body: () => ({ name: unique('matrix-new-gw') }),
  },
  'GET /api/v1/orgs/{org}/gateways': ADMIN_ROUTE,
  'DELETE /api/v1/orgs/{org}/gateways/{id}': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.gateway() }),
  },
  'GET /api/v1/orgs/{org}/webhooks': ADMIN_ROUTE,
  'POST /api/v1/orgs/{org}/webhooks': {
    ...ADMIN_ROUTE,
    body: () => ({ url: 'http://127.0.0.1:9/new-hooks' }),
  },
  'GET /api/v1/orgs/{org}/webhooks/{id}': { ...ADMIN_ROUTE, ids: async () => ({ id: webhookId }) },
  'DELETE /api/v1/orgs/{org}/webhooks/{id}': {
    ...ADMIN_ROUTE,
    ids: async () => ({ id: await fresh.webhook() }),
  },
  'POST /api/v1/orgs/{org}/webhooks/{id}/test': { ...ADMIN_ROUTE, ids: async () => ({ id: webhookId }) },
  'GET /api/v1/orgs/{org}/webhooks/{id}/deliveries': { ...ADMIN_ROUTE, ids: async () => ({ id: webhookId }) },
  'GET /api/v1/orgs/{org}/audit-events': ADMIN_ROUTE,
  'GET /api/v1/orgs/{org}/audit-events/verify': ADMIN_ROUTE,
  // Gateways' own API (gateway token).
  'POST /api/v1/gateway/register': GATEWAY_ROUTE,
  'POST /api/v1/gateway/heartbeat': GATEWAY_ROUTE,
  'GET /api/v1/gateway/snapshot': GATEWAY_ROUTE,
};

/** Routes whose admin call is expected to be refused for a reason other than authorization. */
const ADMIN_BUSINESS_REFUSALS: Record<string, number> = {
  // The fixture MCP server does not answer.
  'POST /api/v1/orgs/{org}/mcp-servers/{id}/refresh-tools': 422,
};

let routes: string[] = [];

beforeAll(async () => {
  ({ orgId: orgA, admin } = await newOrg());
  member = await addMember(orgA, admin.token, 'member');
  ({ admin: outsider } = await newOrg());
  credentialId = await fresh.credential();
  ({ id: modelId, slug: modelSlug } = await fresh.model());
  await ok('POST', orgPath(`/users/${member.user.id}/grants`), { model: modelSlug });
  mcpServerId = await fresh.mcpServer();
  groupId = await fresh.group();
  await ok('PUT', orgPath(`/groups/${groupId}/members/${member.user.id}`));
  webhookId = await fresh.webhook();
  const doc = await api<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/openapi.json');
  expect(doc.status).toBe(200);
  routes = Object.entries(doc.body.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
  );
}, 120_000);

describe('the role matrix', () => {
  it('has a row for every route of the OpenAPI document, and no row for a route that is gone', () => {
    expect(routes.length).toBeGreaterThan(50);
    const missing = routes.filter((r) => !(r in MATRIX));
    expect(missing, 'routes without a row in MATRIX: say who may call them').toEqual([]);
    const stale = Object.keys(MATRIX).filter((r) => !routes.includes(r));
    expect(stale, 'rows for routes the control plane no longer has').toEqual([]);
  });

  const WHO: Who[] = ['anonymous', 'outsider', 'member', 'admin'];

  it.each(WHO)(
    'as %s, every route answers the status class of its row',
    async (who) => {
      const token = {
        admin: admin.token,
        member: member.token,
        outsider: outsider.token,
        anonymous: undefined,
      }[who];
      const mismatches: string[] = [];
      for (const route of routes) {
        const row = MATRIX[route];
        if (!row) continue;
        const [method, template] = route.split(' ') as [string, string];
        const ids: Ids = { org: orgA, ...(row.ids ? await row.ids(who) : {}) };
        const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
          const v = ids[name];
          if (v === undefined) throw new Error(`${route}: no value for {${name}}`);
          return v;
        });
        let bearer = token;
        if (row.freshSession && who !== 'anonymous') {
          const email = { admin: admin.user.email, member: member.user.email, outsider: outsider.user.email }[
            who
          ];
          bearer = (await login(email, PASSWORD)).token;
        }
        if (row.throwawayUser && who !== 'anonymous')
          bearer = (await addMember(orgA, admin.token, 'member')).token;
        const body = row.body?.(ids);
        const res = await api(method, path, { token: bearer, body });
        const expected = row[who];
        const business = who === 'admin' ? ADMIN_BUSINESS_REFUSALS[route] : undefined;
        const matches =
          business !== undefined
            ? res.status === business
            : expected === '2xx'
              ? res.status >= 200 && res.status < 300
              : res.status === expected;
        if (!matches)
          mismatches.push(
            `${route} as ${who}: expected ${business ?? expected}, got ${res.status} ${res.text.slice(0, 200)}`,
          );
        if (business === undefined) expect(res.status, `${route} as ${who}: ${res.text}`).toBeLessThan(500);
      }
      expect(mismatches).toEqual([]);
    },
    120_000,
  );
});
