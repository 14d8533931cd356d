/**
 * Bad input, as a table: every row must be refused with 400 `invalid_request`, name the offending
 * field in `details`, and write nothing (org fingerprint and global row counts unchanged).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiResponse,
  addMember,
  api,
  createKey,
  type ErrorBody,
  newOrg,
  type SignedIn,
  unique,
} from './client';
import { orgFingerprint, withDb } from './db';

type Method = 'GET' | 'POST' | 'PATCH';

/** What a row sends: a JSON body, a raw body (sent as application/json), or a query string. */
type Input = { body: unknown } | { rawBody: string } | { query: string };

/**
 * [description, method, path, input, expectedField]
 * Paths are under /api/v1 with `:org`, `:key` and `:invitation` filled in. `expectedField` must be
 * some details[].field, or its prefix (`ipAllowlist` matches `ipAllowlist.0`); null means a body
 * that is not JSON at all, where the message is asserted instead.
 */
type Case = [string, Method, string, Input, string | null];

const KEYS = '/orgs/:org/keys';
const KEY = '/orgs/:org/keys/:key';
const LOGIN = '/auth/login';
const ORGS = '/orgs';
const INVITE = '/orgs/:org/invitations';
const ACCEPT = '/invitations/:invitation/accept';
const USERS = '/orgs/:org/users';
const AUDIT = '/orgs/:org/audit-events';

const future = new Date(Date.now() + 30 * 86_400_000).toISOString();
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const someUuid = '00000000-0000-4000-8000-000000000000';

// biome-ignore format: one line per case keeps the table readable
const CASES: Case[] = [
  // key create: types
  ['name as a number', 'POST', KEYS, { body: { name: 42 } }, 'name'],
  ['name missing', 'POST', KEYS, { body: {} }, 'name'],
  ['limits as a string', 'POST', KEYS, { body: { name: 'k', limits: '600' } }, 'limits'],
  ['a limit as a numeric string', 'POST', KEYS, { body: { name: 'k', limits: { requestsPerMinute: '600' } } }, 'limits.requestsPerMinute'],
  ['mcp.enabled as "yes"', 'POST', KEYS, { body: { name: 'k', mcp: { enabled: 'yes', mode: 'allow_all' } } }, 'mcp.enabled'],
  ['budget.limitUsd as a string', 'POST', KEYS, { body: { name: 'k', budget: { limitUsd: '50', period: 'monthly' } } }, 'budget.limitUsd'],
  ['ipAllowlist as a string', 'POST', KEYS, { body: { name: 'k', ipAllowlist: '10.0.0.0/8' } }, 'ipAllowlist'],
  ['SQL in a number field', 'POST', KEYS, { body: { name: 'k', limits: { requestsPerMinute: '1; DROP TABLE api_keys; --' } } }, 'limits.requestsPerMinute'],
  // key create: unknown fields
  ['an unknown top-level field', 'POST', KEYS, { body: { name: 'k', colour: 'red' } }, 'colour'],
  ['an unknown field in limits', 'POST', KEYS, { body: { name: 'k', limits: { requestsPerHour: 5 } } }, 'limits.requestsPerHour'],
  ['an unknown field in budget', 'POST', KEYS, { body: { name: 'k', budget: { limitUsd: 5, period: 'daily', currency: 'EUR' } } }, 'budget.currency'],
  ['an unknown field in mcp', 'POST', KEYS, { body: { name: 'k', mcp: { enabled: true, mode: 'allow_all', scope: 'all' } } }, 'mcp.scope'],
  ['a client-chosen status', 'POST', KEYS, { body: { name: 'k', status: 'active' } }, 'status'],
  // key create: name
  ['an empty name', 'POST', KEYS, { body: { name: '' } }, 'name'],
  ['a whitespace-only name', 'POST', KEYS, { body: { name: ' \t  ' } }, 'name'],
  ['a control character in name', 'POST', KEYS, { body: { name: 'bell\u0007key' } }, 'name'],
  ['a newline in name', 'POST', KEYS, { body: { name: 'two\nlines' } }, 'name'],
  ['a NUL in name', 'POST', KEYS, { body: { name: 'nul\u0000key' } }, 'name'],
  ['a 101-character name', 'POST', KEYS, { body: { name: 'n'.repeat(101) } }, 'name'],
  ['a 1 MB name (400, not 413)', 'POST', KEYS, { body: { name: 'x'.repeat(1024 * 1024) } }, 'name'],
  // key create: limits
  ['a negative limit', 'POST', KEYS, { body: { name: 'k', limits: { requestsPerMinute: -1 } } }, 'limits.requestsPerMinute'],
  ['a zero limit', 'POST', KEYS, { body: { name: 'k', limits: { concurrentRequests: 0 } } }, 'limits.concurrentRequests'],
  ['"NaN" as a limit', 'POST', KEYS, { body: { name: 'k', limits: { tokensPerMinute: 'NaN' } } }, 'limits.tokensPerMinute'],
  ['a non-integer limit', 'POST', KEYS, { body: { name: 'k', limits: { inputTokensPerMinute: 1.5 } } }, 'limits.inputTokensPerMinute'],
  ['a 1e12 limit', 'POST', KEYS, { body: { name: 'k', limits: { outputTokensPerMinute: 1e12 } } }, 'limits.outputTokensPerMinute'],
  ['an infinite limit (1e309)', 'POST', KEYS, { rawBody: '{"name":"k","limits":{"requestsPerMinute":1e309}}' }, 'limits.requestsPerMinute'],
  // key create: budget
  ['a negative budget', 'POST', KEYS, { body: { name: 'k', budget: { limitUsd: -5, period: 'monthly' } } }, 'budget.limitUsd'],
  ['a zero budget', 'POST', KEYS, { body: { name: 'k', budget: { limitUsd: 0, period: 'monthly' } } }, 'budget.limitUsd'],
  ['a budget with an unknown period', 'POST', KEYS, { body: { name: 'k', budget: { limitUsd: 5, period: 'yearly' } } }, 'budget.period'],
  ['a budget without a period', 'POST', KEYS, { body: { name: 'k', budget: { limitUsd: 5 } } }, 'budget.period'],
  ['an alert threshold over 100', 'POST', KEYS, { body: { name: 'k', budget: { limitUsd: 5, period: 'daily', alertThresholds: [50, 150] } } }, 'budget.alertThresholds'],
  ['an alert threshold of 0', 'POST', KEYS, { body: { name: 'k', budget: { limitUsd: 5, period: 'daily', alertThresholds: [0] } } }, 'budget.alertThresholds'],
  ['duplicated alert thresholds', 'POST', KEYS, { body: { name: 'k', budget: { limitUsd: 5, period: 'daily', alertThresholds: [80, 80] } } }, 'budget.alertThresholds'],
  // key create: IP allowlist
  ['an IPv4 /33', 'POST', KEYS, { body: { name: 'k', ipAllowlist: ['10.0.0.0/33'] } }, 'ipAllowlist.0'],
  ['an IPv6 /129', 'POST', KEYS, { body: { name: 'k', ipAllowlist: ['2001:db8::/129'] } }, 'ipAllowlist.0'],
  ['a CIDR with host bits set', 'POST', KEYS, { body: { name: 'k', ipAllowlist: ['10.0.0.1/8'] } }, 'ipAllowlist.0'],
  ['an octal IPv4', 'POST', KEYS, { body: { name: 'k', ipAllowlist: ['010.0.0.1'] } }, 'ipAllowlist.0'],
  ['a short IPv4', 'POST', KEYS, { body: { name: 'k', ipAllowlist: ['127.1'] } }, 'ipAllowlist.0'],
  ['a hex IPv4', 'POST', KEYS, { body: { name: 'k', ipAllowlist: ['0x7f.0.0.1'] } }, 'ipAllowlist.0'],
  ['a prefix with a leading zero', 'POST', KEYS, { body: { name: 'k', ipAllowlist: ['10.0.0.0/08'] } }, 'ipAllowlist.0'],
  ['an IPv6 zone id', 'POST', KEYS, { body: { name: 'k', ipAllowlist: ['fe80::1%eth0'] } }, 'ipAllowlist.0'],
  ['a bad second entry', 'POST', KEYS, { body: { name: 'k', ipAllowlist: ['10.0.0.0/8', 'localhost'] } }, 'ipAllowlist.1'],
  // key create: metadata
  ['metadata over 4 KB', 'POST', KEYS, { body: { name: 'k', metadata: { blob: 'm'.repeat(4100) } } }, 'metadata'],
  ['metadata that is an array', 'POST', KEYS, { body: { name: 'k', metadata: ['team', 'backend'] } }, 'metadata'],
  ['metadata that is a string', 'POST', KEYS, { body: { name: 'k', metadata: 'team=backend' } }, 'metadata'],
  ['metadata with a lone surrogate', 'POST', KEYS, { body: { name: 'k', metadata: { team: 'back\ud800end' } } }, 'metadata'],
  // key create: enums
  ['expiresIn 2d', 'POST', KEYS, { body: { name: 'k', expiresIn: '2d' } }, 'expiresIn'],
  ['provider openaii', 'POST', KEYS, { body: { name: 'k', allowedProviders: ['openai', 'openaii'] } }, 'allowedProviders.1'],
  ['mcp mode sometimes', 'POST', KEYS, { body: { name: 'k', mcp: { enabled: true, mode: 'sometimes' } } }, 'mcp.mode'],
  ['mcp tools for an unlisted server', 'POST', KEYS, { body: { name: 'k', mcp: { enabled: true, mode: 'allow_list', servers: [], tools: { github: ['search'] } } } }, 'mcp.tools.github'],
  ['mcp resources for an unlisted server', 'POST', KEYS, { body: { name: 'k', mcp: { enabled: true, mode: 'allow_list', servers: ['jira'], resources: { github: ['file:///docs/*'] } } } }, 'mcp.resources.github'],
  ['mcp prompts for an unlisted server', 'POST', KEYS, { body: { name: 'k', mcp: { enabled: true, mode: 'deny_list', servers: [], prompts: { github: ['p'] } } } }, 'mcp.prompts.github'],
  ['an mcp resource pattern with a dot segment', 'POST', KEYS, { body: { name: 'k', mcp: { enabled: true, mode: 'allow_list', servers: ['github'], resources: { github: ['file:///docs/../*'] } } } }, 'mcp.resources.github.0'],
  ['an mcp resource pattern with * inside', 'PATCH', KEY, { body: { mcp: { enabled: true, mode: 'allow_list', servers: ['github'], resources: { github: ['file:///*/secrets'] } } } }, 'mcp.resources.github.0'],
  ['mcp resources as a list', 'PATCH', KEY, { body: { mcp: { enabled: true, mode: 'allow_list', servers: ['github'], resources: ['file:///docs/*'] } } }, 'mcp.resources'],
  ['an mcp prompt name with a newline', 'PATCH', KEY, { body: { mcp: { enabled: true, mode: 'allow_list', servers: ['github'], prompts: { github: ['a\nb'] } } } }, 'mcp.prompts.github.0'],
  ['a model slug with a space', 'POST', KEYS, { body: { name: 'k', allowedModels: ['gpt 4o'] } }, 'allowedModels.0'],
  ['ownerId that is not a UUID', 'POST', KEYS, { body: { name: 'k', ownerId: "1' OR '1'='1" } }, 'ownerId'],
  // key create: expiry
  ['expiresAt in the past', 'POST', KEYS, { body: { name: 'k', expiresAt: '2020-01-01T00:00:00Z' } }, 'expiresAt'],
  ['expiresAt not a date', 'POST', KEYS, { body: { name: 'k', expiresAt: 'next tuesday' } }, 'expiresAt'],
  ['expiresAt as a number', 'POST', KEYS, { body: { name: 'k', expiresAt: Date.now() + 86_400_000 } }, 'expiresAt'],
  ['both expiresIn and expiresAt', 'POST', KEYS, { body: { name: 'k', expiresIn: '30d', expiresAt: future } }, 'expiresAt'],
  // key create: bodies that are not objects
  ['malformed JSON', 'POST', KEYS, { rawBody: '{"name": "k",' }, null],
  ['form-encoded text sent as JSON', 'POST', KEYS, { rawBody: 'name=k&secret=hunter2' }, null],
  ['a JSON array body', 'POST', KEYS, { body: [{ name: 'k' }] }, '(body)'],
  ['a JSON string body', 'POST', KEYS, { body: 'k' }, '(body)'],
  ['a JSON null body', 'POST', KEYS, { rawBody: 'null' }, '(body)'],
  // key edit
  ['PATCH with an empty object', 'PATCH', KEY, { body: {} }, '(body)'],
  ['PATCH name to null', 'PATCH', KEY, { body: { name: null } }, 'name'],
  ['PATCH name to whitespace', 'PATCH', KEY, { body: { name: '   ' } }, 'name'],
  ['PATCH a CIDR with host bits', 'PATCH', KEY, { body: { ipAllowlist: ['192.168.1.1/16'] } }, 'ipAllowlist.0'],
  ['PATCH limits as a string', 'PATCH', KEY, { body: { limits: 'none' } }, 'limits'],
  ['PATCH the prefix', 'PATCH', KEY, { body: { prefix: 'ptcl_mine' } }, 'prefix'],
  ['PATCH both expiries', 'PATCH', KEY, { body: { expiresIn: '1y', expiresAt: null } }, 'expiresAt'],
  ['PATCH a budget period', 'PATCH', KEY, { body: { budget: { limitUsd: 1, period: 'hourly' } } }, 'budget.period'],
  ['PATCH a JSON array', 'PATCH', KEY, { body: [] }, '(body)'],
  // key list
  ['status filter deleted', 'GET', KEYS, { query: 'status=deleted' }, 'status'],
  ['sort by price', 'GET', KEYS, { query: 'sort=price' }, 'sort'],
  ['order sideways', 'GET', KEYS, { query: 'order=sideways' }, 'order'],
  ['limit=0', 'GET', KEYS, { query: 'limit=0' }, 'limit'],
  ['limit=201', 'GET', KEYS, { query: 'limit=201' }, 'limit'],
  ['limit=abc', 'GET', KEYS, { query: 'limit=abc' }, 'limit'],
  ['limit=1.5', 'GET', KEYS, { query: 'limit=1.5' }, 'limit'],
  ['limit given twice', 'GET', KEYS, { query: 'limit=1&limit=2' }, 'limit'],
  ['an unknown query parameter', 'GET', KEYS, { query: 'colour=red' }, 'colour'],
  ['ownerId not a UUID', 'GET', KEYS, { query: 'ownerId=me' }, 'ownerId'],
  ['a 201-character search', 'GET', KEYS, { query: `search=${'s'.repeat(201)}` }, 'search'],
  ['a NUL in search', 'GET', KEYS, { query: 'search=%00' }, 'search'],
  ['a garbage cursor', 'GET', KEYS, { query: 'cursor=!!not-a-cursor!!' }, 'cursor'],
  ['a cursor of base64 garbage JSON', 'GET', KEYS, { query: `cursor=${Buffer.from('{"s":', 'utf8').toString('base64url')}` }, 'cursor'],
  ['a cursor of well-formed JSON of the wrong shape', 'GET', KEYS, { query: `cursor=${cursorOf({ s: 'created', o: 'desc' })}` }, 'cursor'],
  ['an over-long cursor', 'GET', KEYS, { query: `cursor=${'c'.repeat(600)}` }, 'cursor'],
  ['a forged cursor whose value is not a time', 'GET', KEYS, { query: `cursor=${cursorOf({ s: 'created', o: 'desc', v: 'not-a-time', i: someUuid })}` }, 'cursor'],
  ['a forged cursor whose value is not a number', 'GET', KEYS, { query: `sort=requests&cursor=${cursorOf({ s: 'requests', o: 'desc', v: 'many', i: someUuid })}` }, 'cursor'],
  // other lists
  ['users: limit=abc', 'GET', USERS, { query: 'limit=abc' }, 'limit'],
  ['users: a NUL in search', 'GET', USERS, { query: 'search=%00' }, 'search'],
  ['audit: limit=0', 'GET', AUDIT, { query: 'limit=0' }, 'limit'],
  ['audit: a garbage cursor', 'GET', AUDIT, { query: `cursor=${cursorOf({ s: -1 })}` }, 'cursor'],
  ['audit: a NUL in targetId', 'GET', AUDIT, { query: 'targetId=%00' }, 'targetId'],
  ['audit: a NUL in action', 'GET', AUDIT, { query: 'action=key.%00' }, 'action'],
  ['audit: an action the control plane never records', 'GET', AUDIT, { query: 'action=key.archived' }, 'action'],
  // login
  ['login: email missing', 'POST', LOGIN, { body: { password: 'whatever-password' } }, 'email'],
  ['login: not an email', 'POST', LOGIN, { body: { email: 'root', password: 'whatever-password' } }, 'email'],
  ['login: email as a number', 'POST', LOGIN, { body: { email: 12345, password: 'whatever-password' } }, 'email'],
  ['login: a NUL in email', 'POST', LOGIN, { body: { email: 'root\u0000@portcullis.test', password: 'whatever-password' } }, 'email'],
  ['login: password missing', 'POST', LOGIN, { body: { email: 'root@portcullis.test' } }, 'password'],
  ['login: empty password', 'POST', LOGIN, { body: { email: 'root@portcullis.test', password: '' } }, 'password'],
  ['login: an unknown field', 'POST', LOGIN, { body: { email: 'root@portcullis.test', password: 'x', rememberMe: true } }, 'rememberMe'],
  ['login: malformed JSON', 'POST', LOGIN, { rawBody: '{"email":"root@portcullis.test","password":"hunter2' }, null],
  // org create
  ['org: name missing', 'POST', ORGS, { body: {} }, 'name'],
  ['org: an empty name', 'POST', ORGS, { body: { name: '' } }, 'name'],
  ['org: name as a number', 'POST', ORGS, { body: { name: 7 } }, 'name'],
  ['org: a control character in name', 'POST', ORGS, { body: { name: 'Acme\u001b[31m' } }, 'name'],
  ['org: a 101-character name', 'POST', ORGS, { body: { name: 'o'.repeat(101) } }, 'name'],
  ['org: an unknown field', 'POST', ORGS, { body: { name: 'Acme', plan: 'enterprise' } }, 'plan'],
  ['org: a lone surrogate in name', 'POST', ORGS, { body: { name: 'Acme \udc00' } }, 'name'],
  // invitations
  ['invite: role owner', 'POST', INVITE, { body: { email: 'new@example.test', role: 'owner' } }, 'role'],
  ['invite: role missing', 'POST', INVITE, { body: { email: 'new@example.test' } }, 'role'],
  ['invite: not an email', 'POST', INVITE, { body: { email: 'new at example.test', role: 'member' } }, 'email'],
  ['invite: two @ signs', 'POST', INVITE, { body: { email: 'a@b@example.test', role: 'member' } }, 'email'],
  ['invite: a 255-character email', 'POST', INVITE, { body: { email: `${'e'.repeat(243)}@example.test`, role: 'member' } }, 'email'],
  ['invite: a lone surrogate in email', 'POST', INVITE, { body: { email: 'new\ud800@example.test', role: 'member' } }, 'email'],
  ['invite: a NUL in email', 'POST', INVITE, { body: { email: 'new\u0000@example.test', role: 'member' } }, 'email'],
  ['invite: an unknown field', 'POST', INVITE, { body: { email: 'new@example.test', role: 'member', orgId: someUuid } }, 'orgId'],
  // accept
  ['accept: a short password', 'POST', ACCEPT, { body: { name: 'New User', password: 'short' } }, 'password'],
  ['accept: a 257-character password', 'POST', ACCEPT, { body: { name: 'New User', password: 'p'.repeat(257) } }, 'password'],
  ['accept: name missing', 'POST', ACCEPT, { body: { password: 'long-enough-password' } }, 'name'],
  ['accept: a whitespace name', 'POST', ACCEPT, { body: { name: '  ', password: 'long-enough-password' } }, 'name'],
  ['accept: a NUL in name', 'POST', ACCEPT, { body: { name: 'New\u0000User', password: 'long-enough-password' } }, 'name'],
  ['accept: choosing a role', 'POST', ACCEPT, { body: { name: 'New User', password: 'long-enough-password', role: 'admin' } }, 'role'],
];

/** SQL-looking searches are just text: 200, nothing found, nothing changed. */
const SQL_SEARCHES = [
  "' OR '1'='1",
  "'; DROP TABLE api_keys; --",
  '" OR ""="',
  "%' OR 1=1 --",
  '1) UNION SELECT secret_hash FROM api_keys --',
  '$1',
  '\\',
  "'; UPDATE api_keys SET status='revoked'; --",
];

/** Every response status this file saw, for the closing no-5xx check. */
const seen: { what: string; status: number }[] = [];

let orgA: string;
let admin: SignedIn;
let keyId: string;
let invitationToken: string;

beforeAll(async () => {
  ({ orgId: orgA, admin } = await newOrg());
  await addMember(orgA, admin.token, 'member');
  keyId = (await createKey(orgA, admin.token, { name: 'the-one-key', limits: { requestsPerMinute: 10 } })).key
    .id;
  const inv = await api<{ acceptUrl: string }>('POST', `/api/v1/orgs/${orgA}/invitations`, {
    token: admin.token,
    body: { email: `${unique('pending')}@example.test`, role: 'member' },
  });
  expect(inv.status).toBe(201);
  invitationToken = inv.body.acceptUrl.split('/').pop() ?? '';
});

/** Everything a refused request could have written: org A in detail, plus global row counts. */
async function fingerprint(): Promise<string> {
  const global = await withDb(async (c) => {
    const r = await c.query(`SELECT
        (SELECT count(*) FROM organizations) AS orgs,
        (SELECT count(*) FROM users) AS users,
        (SELECT count(*) FROM sessions) AS sessions,
        (SELECT count(*) FROM login_attempts) AS login_attempts,
        (SELECT count(*) FROM invitations) AS invitations,
        (SELECT count(*) FROM invitations WHERE accepted_at IS NOT NULL OR revoked_at IS NOT NULL) AS used_invitations,
        (SELECT count(*) FROM audit_events) AS audit_events,
        (SELECT count(*) FROM api_keys) AS keys`);
    return JSON.stringify(r.rows[0]);
  });
  return `${await orgFingerprint(orgA)} ${global}`;
}

function pathOf(template: string, input: Input): string {
  const path = template.replace(':org', orgA).replace(':key', keyId).replace(':invitation', invitationToken);
  return `/api/v1${path}${'query' in input ? `?${input.query}` : ''}`;
}

async function send(method: Method, template: string, input: Input): Promise<ApiResponse<ErrorBody>> {
  const path = pathOf(template, input);
  const token = template === LOGIN || template === ACCEPT ? undefined : admin.token;
  const res = await api<ErrorBody>(method, path, {
    token,
    ...('body' in input ? { body: input.body } : {}),
    ...('rawBody' in input ? { rawBody: input.rawBody } : {}),
  });
  seen.push({ what: `${method} ${template}`, status: res.status });
  return res;
}

describe('bad input is 400 invalid_request, names the field, and writes nothing', () => {
  it('covers enough distinct cases', () => {
    expect(new Set(CASES.map(([description]) => description)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)('%s (%s %s)', async (description, method, template, input, field) => {
    const before = await fingerprint();
    const res = await send(method, template, input);
    expect(res.status, `${description}: ${res.text.slice(0, 500)}`).toBe(400);
    const error = res.body.error;
    expect(error.code).toBe('invalid_request');
    expect(typeof error.message).toBe('string');
    expect(error.message.length).toBeGreaterThan(0);
    if (field === null) {
      // Not JSON at all: no field to name, but a clear message that does not echo the body back.
      expect(error.message).toBe('The request body is not valid JSON');
    } else {
      expect(Array.isArray(error.details), res.text.slice(0, 500)).toBe(true);
      const details = error.details ?? [];
      for (const d of details) {
        expect(typeof d.field).toBe('string');
        expect(typeof d.message).toBe('string');
      }
      const fields = details.map((d) => d.field);
      expect(
        fields.some((f) => f === field || f.startsWith(`${field}.`)),
        `expected a detail naming ${field}, got ${JSON.stringify(fields)}`,
      ).toBe(true);
    }
    expect(await fingerprint()).toBe(before);
  });

  it('the pending invitation used by the accept rows is still pending', async () => {
    const rows = await withDb(
      async (c) =>
        (
          await c.query(
            'SELECT accepted_at, revoked_at FROM invitations WHERE org_id = $1 AND accepted_at IS NULL',
            [orgA],
          )
        ).rows,
    );
    expect(rows).toHaveLength(1);
  });
});

describe('SQL-looking search strings are plain text', () => {
  it.each(SQL_SEARCHES)('keys search %j → 200, empty', async (search) => {
    const before = await fingerprint();
    const res = await api<{ data: unknown[]; nextCursor: string | null }>(
      'GET',
      `/api/v1/orgs/${orgA}/keys?search=${encodeURIComponent(search)}`,
      { token: admin.token },
    );
    seen.push({ what: 'GET keys?search', status: res.status });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], nextCursor: null });
    expect(await fingerprint()).toBe(before);
  });

  it.each(SQL_SEARCHES)('users search %j → 200, empty', async (search) => {
    const before = await fingerprint();
    const res = await api<{ data: unknown[] }>(
      'GET',
      `/api/v1/orgs/${orgA}/users?search=${encodeURIComponent(search)}`,
      {
        token: admin.token,
      },
    );
    seen.push({ what: 'GET users?search', status: res.status });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
    expect(await fingerprint()).toBe(before);
  });

  it('the key list still works and the key is intact afterwards', async () => {
    const res = await api<{ data: { id: string; name: string; status: string }[] }>(
      'GET',
      `/api/v1/orgs/${orgA}/keys`,
      {
        token: admin.token,
      },
    );
    seen.push({ what: 'GET keys', status: res.status });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      expect.objectContaining({ id: keyId, name: 'the-one-key', status: 'active' }),
    ]);
  });
});

describe('no 5xx', () => {
  it('no request in this file received a 5xx', () => {
    expect(seen.length).toBeGreaterThanOrEqual(CASES.length);
    expect(seen.filter((s) => s.status >= 500)).toEqual([]);
  });
});
