import type { ApiKey } from '@portcullis/shared/api-keys';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, type ErrorBody, newOrgWithMember, type SignedIn } from './client';

/**
 * Restrictions an admin set on a member's key stay set: the member may tighten each one, never loosen
 * it (403 naming every field), may not re-activate a key an admin deactivated, and may give their own
 * keys no more MCP access than the organization's default MCP policy allows.
 */
let orgId: string;
let admin: SignedIn;
let member: SignedIn;
const keys = (p = '') => `/api/v1/orgs/${orgId}/keys${p}`;

beforeAll(async () => {
  ({ orgId, admin, member } = await newOrgWithMember());
});

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

async function adminKeyForMember(body: Record<string, unknown> = {}): Promise<ApiKey> {
  const res = await api<{ key: ApiKey }>('POST', keys(), {
    token: admin.token,
    body: {
      name: 'set by admin',
      ownerId: member.user.id,
      expiresAt: inDays(30),
      limits: { requestsPerMinute: 10, concurrentRequests: 2 },
      budget: { limitUsd: 50, period: 'monthly', alertThresholds: [80] },
      allowedProviders: ['openai'],
      allowedModels: ['cheap', 'mini'],
      ipAllowlist: ['10.0.0.0/8'],
      mcp: { enabled: true, mode: 'allow_list', servers: ['github'], tools: { github: ['search_issues'] } },
      ...body,
    },
  });
  expect(res.status).toBe(201);
  return res.body.key;
}

const get = async (id: string, token = member.token) =>
  (await api<ApiKey>('GET', keys(`/${id}`), { token })).body;
const patch = (id: string, body: Record<string, unknown>, token = member.token) =>
  api<ApiKey & ErrorBody>('PATCH', keys(`/${id}`), { token, body });

describe('a member and the restrictions an admin set on their key', () => {
  it('shows what the admin set on the key', async () => {
    const key = await adminKeyForMember();
    expect(key.adminRestrictions).toMatchObject({
      limits: { requestsPerMinute: 10, concurrentRequests: 2, tokensPerMinute: null },
      budget: { limitUsd: 50, period: 'monthly' },
      allowedProviders: ['openai'],
      allowedModels: ['cheap', 'mini'],
      ipAllowlist: ['10.0.0.0/8'],
      mcp: { mode: 'allow_list', servers: ['github'] },
    });
    expect(key.deactivatedByAdmin).toBe(false);
  });

  it.each([
    ['a higher rate limit', { limits: { requestsPerMinute: 11 } }, ['limits.requestsPerMinute']],
    ['no rate limit', { limits: { requestsPerMinute: null } }, ['limits.requestsPerMinute']],
    ['no concurrency limit', { limits: { concurrentRequests: null } }, ['limits.concurrentRequests']],
    ['a larger budget', { budget: { limitUsd: 51, period: 'monthly' } }, ['budget.limitUsd']],
    ['a daily budget of the same amount', { budget: { limitUsd: 50, period: 'daily' } }, ['budget.period']],
    ['no budget', { budget: null }, ['budget']],
    ['another model', { allowedModels: ['cheap', 'expensive'] }, ['allowedModels.1']],
    ['every model', { allowedModels: [] }, ['allowedModels']],
    ['another provider', { allowedProviders: ['anthropic'] }, ['allowedProviders.0']],
    ['every provider', { allowedProviders: [] }, ['allowedProviders']],
    ['an address outside the network', { ipAllowlist: ['192.168.1.1'] }, ['ipAllowlist.0']],
    ['a wider network', { ipAllowlist: ['10.0.0.0/7'] }, ['ipAllowlist.0']],
    ['every address', { ipAllowlist: [] }, ['ipAllowlist']],
    ['a later expiry', { expiresAt: inDays(31) }, ['expiresAt']],
    ['no expiry', { expiresAt: null }, ['expiresAt']],
    ['no expiry by preset', { expiresIn: 'never' }, ['expiresIn']],
    ['a later expiry by preset', { expiresIn: '90d' }, ['expiresIn']],
    [
      'another MCP server',
      {
        mcp: {
          enabled: true,
          mode: 'allow_list',
          servers: ['github', 'db'],
          tools: { github: ['search_issues'] },
        },
      },
      ['mcp.servers'],
    ],
    // The admin listed some tools of github, so its prompts and resources (no lists: as the tools) are
    // none: all of them is more too.
    [
      'every tool of the server',
      { mcp: { enabled: true, mode: 'allow_list', servers: ['github'] } },
      ['mcp.tools.github', 'mcp.prompts.github', 'mcp.resources.github'],
    ],
    [
      'every MCP server',
      { mcp: { enabled: true, mode: 'allow_all' } },
      ['mcp.tools.github', 'mcp.prompts.github', 'mcp.resources.github', 'mcp.servers'],
    ],
    [
      'a deny list (everything but one server)',
      { mcp: { enabled: true, mode: 'deny_list', servers: ['db'] } },
      ['mcp.tools.github', 'mcp.prompts.github', 'mcp.resources.github', 'mcp.servers'],
    ],
    [
      'resources of the server',
      {
        mcp: {
          enabled: true,
          mode: 'allow_list',
          servers: ['github'],
          tools: { github: ['search_issues'] },
          resources: { github: ['file:///docs/*'] },
        },
      },
      ['mcp.resources.github'],
    ],
    [
      'prompts of the server',
      {
        mcp: {
          enabled: true,
          mode: 'allow_list',
          servers: ['github'],
          tools: { github: ['search_issues'] },
          prompts: { github: ['summarize'] },
        },
      },
      ['mcp.prompts.github'],
    ],
  ] as const)('refuses %s with 403 naming the field, and changes nothing', async (_, body, fields) => {
    const key = await adminKeyForMember();
    const res = await patch(key.id, { name: 'renamed too', ...body });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(res.body.error.details?.map((d) => d.field)).toEqual(fields);
    expect(res.body.error.details?.[0]?.message).toContain('set by an admin');
    const after = await get(key.id);
    expect(after).toMatchObject({
      name: 'set by admin',
      limits: key.limits,
      budget: { limitUsd: 50, period: 'monthly' },
      allowedModels: key.allowedModels,
      allowedProviders: key.allowedProviders,
      ipAllowlist: key.ipAllowlist,
      expiresAt: key.expiresAt,
      mcp: key.mcp,
    });
  });

  it('names every loosened field of one request', async () => {
    const key = await adminKeyForMember();
    const res = await patch(key.id, {
      limits: { requestsPerMinute: 100, concurrentRequests: 100 },
      allowedModels: [],
      expiresAt: null,
    });
    expect(res.status).toBe(403);
    expect(res.body.error.details?.map((d) => d.field)).toEqual([
      'limits.requestsPerMinute',
      'limits.concurrentRequests',
      'allowedModels',
      'expiresAt',
    ]);
  });

  it('lets the member tighten every restriction, and loosen back up to what the admin set', async () => {
    const key = await adminKeyForMember();
    const tight = await patch(key.id, {
      limits: { requestsPerMinute: 5, concurrentRequests: 1, tokensPerMinute: 1000 },
      budget: { limitUsd: 20, period: 'monthly', alertThresholds: [50, 100] },
      allowedProviders: ['openai'],
      allowedModels: ['mini'],
      ipAllowlist: ['10.1.0.0/16', '10.2.3.4'],
      expiresAt: inDays(7),
      mcp: { enabled: true, mode: 'allow_list', servers: ['github'], tools: { github: [] } },
      metadata: { team: 'x' },
    });
    expect(tight.status).toBe(200);
    expect(tight.body.limits.requestsPerMinute).toBe(5);
    expect(tight.body.mcp.tools).toEqual({ github: [] });
    // The admin's ceiling is unchanged: the member may go back up to it, not past it.
    expect(tight.body.adminRestrictions?.limits?.requestsPerMinute).toBe(10);
    expect(
      (await patch(key.id, { limits: { requestsPerMinute: 10 }, allowedModels: ['cheap', 'mini'] })).status,
    ).toBe(200);
    expect((await patch(key.id, { limits: { requestsPerMinute: 11 } })).status).toBe(403);
    // A limit the admin never set (tokens/min) stays the member's to remove.
    expect((await patch(key.id, { limits: { tokensPerMinute: null } })).status).toBe(200);
    // Fields that restrict nothing are the member's.
    expect((await patch(key.id, { name: 'mine now', metadata: {} })).status).toBe(200);
  });

  it('binds only what an admin wrote on a key the member created', async () => {
    const own = (
      await api<{ key: ApiKey }>('POST', keys(), {
        token: member.token,
        body: { name: 'member key', limits: { requestsPerMinute: 100 } },
      })
    ).body.key;
    expect(own.adminRestrictions).toBeNull();
    expect((await patch(own.id, { limits: { requestsPerMinute: 1000 } })).status).toBe(200);
    // An admin sets a lower limit: from now on that is the ceiling, and only that.
    expect((await patch(own.id, { limits: { requestsPerMinute: 20 } }, admin.token)).status).toBe(200);
    expect((await get(own.id)).adminRestrictions).toEqual({ limits: { requestsPerMinute: 20 } });
    const refused = await patch(own.id, { limits: { requestsPerMinute: 21 } });
    expect(refused.status).toBe(403);
    expect((await patch(own.id, { allowedModels: ['anything'], ipAllowlist: [] })).status).toBe(200);
    // An admin's rename binds nothing.
    expect((await patch(own.id, { name: 'renamed by admin' }, admin.token)).status).toBe(200);
    expect((await get(own.id)).adminRestrictions).toEqual({ limits: { requestsPerMinute: 20 } });
  });

  it('makes every restriction of a key an admin hands over the new owner’s ceiling', async () => {
    const mine = (
      await api<{ key: ApiKey }>('POST', keys(), {
        token: admin.token,
        body: { name: 'handed over', limits: { requestsPerMinute: 3 }, allowedModels: ['mini'] },
      })
    ).body.key;
    expect(mine.adminRestrictions).toBeNull();
    expect((await patch(mine.id, { ownerId: member.user.id }, admin.token)).status).toBe(200);
    const res = await patch(mine.id, { allowedModels: [] });
    expect(res.status).toBe(403);
    expect(res.body.error.details?.map((d) => d.field)).toEqual(['allowedModels']);
    expect((await patch(mine.id, { limits: { requestsPerMinute: 4 } })).status).toBe(403);
  });

  it('lets admins loosen what they set', async () => {
    const key = await adminKeyForMember();
    const res = await patch(key.id, { limits: { requestsPerMinute: null }, allowedModels: [] }, admin.token);
    expect(res.status).toBe(200);
    expect(res.body.adminRestrictions?.limits?.requestsPerMinute).toBeNull();
    // The admin lifted them: now the member may set them as they like.
    expect((await patch(key.id, { limits: { requestsPerMinute: 1000 }, allowedModels: ['x'] })).status).toBe(
      200,
    );
  });
});

describe('deactivation by an admin', () => {
  it('keeps a key an admin deactivated inactive until an admin activates it', async () => {
    const key = await adminKeyForMember();
    expect((await api('POST', keys(`/${key.id}/deactivate`), { token: admin.token })).status).toBe(200);
    expect((await get(key.id)).deactivatedByAdmin).toBe(true);
    const refused = await api<ErrorBody>('POST', keys(`/${key.id}/activate`), { token: member.token });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details?.map((d) => d.field)).toEqual(['status']);
    expect((await get(key.id)).status).toBe('inactive');
    // Deactivating it again themselves does not hand the member the switch.
    expect((await api('POST', keys(`/${key.id}/deactivate`), { token: member.token })).status).toBe(200);
    expect((await api('POST', keys(`/${key.id}/activate`), { token: member.token })).status).toBe(403);
    expect((await api('POST', keys(`/${key.id}/activate`), { token: admin.token })).status).toBe(200);
    expect((await get(key.id)).status).toBe('active');
    // A key the member paused themselves is theirs to resume.
    expect((await api('POST', keys(`/${key.id}/deactivate`), { token: member.token })).status).toBe(200);
    expect((await get(key.id)).deactivatedByAdmin).toBe(false);
    expect((await api('POST', keys(`/${key.id}/activate`), { token: member.token })).status).toBe(200);
  });
});

describe("the organization's default MCP policy", () => {
  const settings = (body: Record<string, unknown>, token = admin.token) =>
    api<ErrorBody & { defaultMcpPolicy: unknown }>('PATCH', `/api/v1/orgs/${orgId}/settings`, {
      token,
      body,
    });
  const createAs = (token: string, mcp: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    api<{ key: ApiKey } & ErrorBody>('POST', keys(), { token, body: { name: 'mcp key', mcp, ...extra } });

  it('is validated, admins only', async () => {
    const bad = await settings({ defaultMcpPolicy: { mode: 'some' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details?.map((d) => d.field)).toEqual(['defaultMcpPolicy.mode']);
    const stray = await settings({ defaultMcpPolicy: { mode: 'all', servers: ['github'] } });
    expect(stray.status).toBe(400);
    expect(stray.body.error.details?.map((d) => d.field)).toEqual(['defaultMcpPolicy.servers']);
    expect((await settings({ defaultMcpPolicy: { mode: 'none' } }, member.token)).status).toBe(403);
  });

  it('caps what members give their own keys, on create and on update, but not what admins give', async () => {
    const listed = await settings({ defaultMcpPolicy: { mode: 'listed', servers: ['github'] } });
    expect(listed.status).toBe(200);
    expect(listed.body.defaultMcpPolicy).toEqual({ mode: 'listed', servers: ['github'] });
    try {
      const all = await createAs(member.token, { enabled: true, mode: 'allow_all' });
      expect(all.status).toBe(403);
      expect(all.body.error.details?.map((d) => d.field)).toEqual(['mcp.servers']);
      expect(all.body.error.message).toContain('default MCP policy');
      const ok = await createAs(member.token, { enabled: true, mode: 'allow_list', servers: ['github'] });
      expect(ok.status).toBe(201);
      const widen = await patch(ok.body.key.id, {
        mcp: { enabled: true, mode: 'allow_list', servers: ['github', 'db'] },
      });
      expect(widen.status).toBe(403);
      // Other fields of that key can still change.
      expect((await patch(ok.body.key.id, { name: 'still fine' })).status).toBe(200);

      expect((await settings({ defaultMcpPolicy: { mode: 'none' } })).status).toBe(200);
      expect(
        (await createAs(member.token, { enabled: true, mode: 'allow_list', servers: ['github'] })).status,
      ).toBe(403);
      expect((await createAs(member.token, { enabled: false, mode: 'allow_all' })).status).toBe(201);
      // An admin is not capped, for their own keys or a member's.
      expect((await createAs(admin.token, { enabled: true, mode: 'allow_all' })).status).toBe(201);
      expect(
        (await createAs(admin.token, { enabled: true, mode: 'allow_all' }, { ownerId: member.user.id }))
          .status,
      ).toBe(201);
    } finally {
      expect((await settings({ defaultMcpPolicy: { mode: 'all' } })).status).toBe(200);
    }
  });
});
