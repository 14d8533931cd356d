import { beforeAll, describe, expect, it } from 'vitest';
import { api, type ErrorBody, newOrgWithMember, type SignedIn, unique } from './client';

/**
 * The SSRF guard through the REST API: every IPv6 (and numeric IPv4) form of a private address is that
 * address, and each kind of outbound URL has its own operator allow list (global-setup gives the
 * providers 127.0.10.1, webhooks 127.0.20.1 and MCP servers 127.0.30.1, besides 127.0.0.1 for all).
 */

let orgId: string;
let admin: SignedIn;
let member: SignedIn;

beforeAll(async () => {
  ({ orgId, admin, member } = await newOrgWithMember());
});

const path = (rest: string) => `/api/v1/orgs/${orgId}/${rest}`;
const fields = (res: { body: unknown }) => ((res.body as ErrorBody).error?.details ?? []).map((d) => d.field);

/** Each outbound URL kind: how to create one at `url`, the field a refusal names, how to remove it. */
const KINDS = {
  provider: {
    create: (url: string) =>
      api<{ id: string }>('POST', path('provider-credentials'), {
        token: admin.token,
        body: {
          name: unique('cred'),
          provider: 'openai_compatible',
          secret: 'sk-test-0123456789abcdefghijkl',
          config: { baseUrl: url },
        },
      }),
    field: 'config.baseUrl',
    remove: (id: string) => api('DELETE', path(`provider-credentials/${id}`), { token: admin.token }),
  },
  webhook: {
    create: async (url: string) => {
      const r = await api<{ webhook: { id: string } }>('POST', path('webhooks'), {
        token: admin.token,
        body: { url, events: ['webhook.test'] },
      });
      return { ...r, body: (r.body as { webhook?: { id: string } }).webhook ?? r.body };
    },
    field: 'url',
    remove: (id: string) => api('DELETE', path(`webhooks/${id}`), { token: admin.token }),
  },
  mcp: {
    create: (url: string) =>
      api<{ id: string }>('POST', path('mcp-servers'), {
        token: admin.token,
        body: { name: unique('mcp').toLowerCase(), url },
      }),
    field: 'url',
    remove: (id: string) => api('DELETE', path(`mcp-servers/${id}`), { token: admin.token }),
  },
} as const;
type Kind = keyof typeof KINDS;

/** Hosts that are private, loopback or link-local in disguise; none is on any allow list. */
const DISGUISED = [
  '[::a00:1]', // IPv4-compatible 10.0.0.1
  '[::10.0.0.1]',
  '[::7f00:2]', // 127.0.0.2, hex form
  '[::ffff:a9fe:a9fe]', // IPv4-mapped 169.254.169.254, hex form
  '[::ffff:0:a9fe:a9fe]', // IPv4-translated (SIIT)
  '[64:ff9b::a9fe:a9fe]', // NAT64 well-known prefix
  '[64:ff9b::192.168.1.1]',
  '[64:ff9b:1::a00:1]', // local-use NAT64
  '[2002:a00:1::1]', // 6to4 of 10.0.0.1
  '[2002:a9fe:a9fe::]',
  '0xa9.0xfe.0xa9.0xfe', // hex 169.254.169.254
  '025177524776', // octal 169.254.169.254
  '2852039166', // decimal 169.254.169.254
  '127.0.2', // short form of 127.0.0.2
];

describe('the SSRF guard on every outbound URL', () => {
  for (const kind of Object.keys(KINDS) as Kind[]) {
    it(`refuses a ${kind} URL at an IPv6 or numeric form of a private address with a 400 naming the field`, async () => {
      for (const host of DISGUISED) {
        const url = `http://${host}/v1`;
        const res = await KINDS[kind].create(url);
        expect(res.status, url).toBe(400);
        expect((res.body as unknown as ErrorBody).error.code, url).toBe('invalid_request');
        expect(fields(res), url).toEqual([KINDS[kind].field]);
      }
      const named = await KINDS[kind].create('http://[64:ff9b::a00:1]/v1');
      expect((named.body as unknown as ErrorBody).error.details?.[0]?.message).toMatch(
        /10\.0\.0\.1, a private address/,
      );
    });
  }
});

describe('one allow list per kind of outbound URL', () => {
  const cases: [Kind, string, boolean][] = [
    ['provider', '127.0.10.1', true],
    ['provider', '127.0.20.1', false],
    ['provider', '127.0.30.1', false],
    ['webhook', '127.0.10.1', false],
    ['webhook', '127.0.20.1', true],
    ['webhook', '127.0.30.1', false],
    ['mcp', '127.0.10.1', false],
    ['mcp', '127.0.20.1', false],
    ['mcp', '127.0.30.1', true],
  ];
  for (const [kind, host, allowed] of cases) {
    it(`${allowed ? 'accepts' : 'refuses'} a ${kind} URL at ${host}`, async () => {
      const res = await KINDS[kind].create(`http://${host}:9/v1`);
      if (allowed) {
        expect(res.status, res.text).toBe(201);
        await KINDS[kind].remove((res.body as { id: string }).id);
        return;
      }
      expect(res.status, res.text).toBe(400);
      expect(fields(res)).toEqual([KINDS[kind].field]);
      const setting = { provider: 'UPSTREAM', webhook: 'WEBHOOK', mcp: 'MCP' }[kind];
      expect((res.body as unknown as ErrorBody).error.details?.[0]?.message).toContain(
        `${setting}_ALLOWLIST`,
      );
    });
  }

  it("an IPv6 form of an allowlisted address is allowed on that kind's list only", async () => {
    const mcp = await KINDS.mcp.create('http://[::ffff:127.0.30.1]:9/mcp');
    expect(mcp.status, mcp.text).toBe(201);
    await KINDS.mcp.remove((mcp.body as { id: string }).id);
    expect((await KINDS.webhook.create('http://[::ffff:127.0.30.1]:9/mcp')).status).toBe(400);
  });
});

describe('MCP servers as members see them', () => {
  it('members get names, descriptions and tools, never the URL or header names; admins get both', async () => {
    const created = await api<{ id: string; url: string }>('POST', path('mcp-servers'), {
      token: admin.token,
      body: {
        name: unique('internal').toLowerCase(),
        url: 'http://127.0.30.1:9/mcp/tenant-secret-path',
        headers: { 'X-Internal-Token': 'tok-hidden-value' },
        description: 'Issue tracker',
        tools: [{ name: 'search_issues' }],
      },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id;

    const list = await api<{ data: Record<string, unknown>[] }>('GET', path('mcp-servers'), {
      token: member.token,
    });
    const one = await api<Record<string, unknown>>('GET', path(`mcp-servers/${id}`), { token: member.token });
    for (const res of [list, one]) {
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('tenant-secret-path');
      expect(res.text).not.toContain('127.0.30.1');
      expect(res.text).not.toContain('X-Internal-Token');
      expect(res.text).not.toContain('tok-hidden-value');
    }
    const seen = list.body.data.find((s) => s.id === id);
    expect(seen).toMatchObject({ description: 'Issue tracker', tools: [{ name: 'search_issues' }] });
    expect(seen).not.toHaveProperty('url');
    expect(seen).not.toHaveProperty('headerNames');
    expect(one.body).not.toHaveProperty('url');

    const asAdmin = await api<{ data: { id: string; url: string; headerNames: string[] }[] }>(
      'GET',
      path('mcp-servers'),
      { token: admin.token },
    );
    const adminView = asAdmin.body.data.find((s) => s.id === id);
    expect(adminView?.url).toBe('http://127.0.30.1:9/mcp/tenant-secret-path');
    expect(adminView?.headerNames).toEqual(['X-Internal-Token']);
    const adminOne = await api<{ url: string }>('GET', path(`mcp-servers/${id}`), { token: admin.token });
    expect(adminOne.body.url).toBe('http://127.0.30.1:9/mcp/tenant-secret-path');
    expect(adminOne.text).not.toContain('tok-hidden-value');
  });
});
