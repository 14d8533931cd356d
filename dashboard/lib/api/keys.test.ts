import type { ApiKey } from '@portcullis/shared/api-keys';
import { PROVIDERS } from '@portcullis/shared/api-keys';
import { describe, expect, it } from 'vitest';
import {
  buildKeyBody,
  cleanMcpPolicy,
  emptyKeyForm,
  fieldTab,
  formFromKey,
  ipAllowlistIssues,
  issueFor,
  type KeyFormValues,
  keyActions,
  maskPrefix,
  parseMetadata,
} from './keys';

const form = (patch: Partial<KeyFormValues> = {}): KeyFormValues => ({ ...emptyKeyForm(), ...patch });
const member = { canChooseOwner: false };
const admin = { canChooseOwner: true };

const existing: ApiKey = {
  id: '2b7d1f9e-8c1a-4c55-9d1e-5f3a0c2b1a10',
  name: 'Production API',
  ownerId: '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
  owner: { id: '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f', email: 'dev@example.com', name: 'Dev' },
  prefix: 'ptcl_AbCdEfGhIjKl',
  status: 'active',
  expiresAt: '2030-01-01T00:00:00.000Z',
  lastUsedAt: null,
  lastRotatedAt: null,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  requestCount: 3,
  usageShare: 0.5,
  limits: {
    requestsPerMinute: 600,
    tokensPerMinute: null,
    inputTokensPerMinute: null,
    outputTokensPerMinute: 1000,
    concurrentRequests: null,
  },
  budget: { limitUsd: 50, period: 'monthly', alertThresholds: [50, 80, 100], spentUsd: 1.5 },
  allowedProviders: ['openai'],
  allowedModels: ['gpt-4o-mini'],
  ipAllowlist: ['10.0.0.0/8'],
  metadata: { team: 'backend' },
  mcp: {
    enabled: true,
    mode: 'allow_list',
    servers: ['github'],
    tools: { github: ['search_issues'] },
    resources: { github: ['file:///docs/*'] },
    prompts: { github: ['summarize'] },
  },
  adminRestrictions: null,
  deactivatedByAdmin: false,
  allowCallsWithoutModel: true,
};

describe('buildKeyBody (create)', () => {
  it('builds the smallest body for a name and a preset expiry, with "no restriction" lists', () => {
    const result = buildKeyBody(form({ name: 'CI', expiry: '30d', requestsPerMinute: '60' }), member);
    expect(result).toEqual({
      ok: true,
      body: {
        name: 'CI',
        expiresIn: '30d',
        limits: { requestsPerMinute: 60, tokensPerMinute: null },
        budget: null,
        allowedProviders: [],
        allowedModels: [],
        ipAllowlist: [],
        metadata: {},
        mcp: { enabled: false, mode: 'allow_all', servers: [], tools: {}, resources: {}, prompts: {} },
        allowCallsWithoutModel: false,
      },
    });
  });

  it('names the empty name the way the API does, and keeps checking the other fields', () => {
    const result = buildKeyBody(form({ name: '   ', requestsPerMinute: 'ten' }), member);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(issueFor(result.issues, 'name')).toBe('Must not be empty');
    expect(issueFor(result.issues, 'limits.requestsPerMinute')).toBe('must be a number');
  });

  it('mirrors the shared schema for limits: zero and fractions are refused', () => {
    const result = buildKeyBody(form({ name: 'k', requestsPerMinute: '0', tokensPerMinute: '1.5' }), member);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(issueFor(result.issues, 'limits.requestsPerMinute')).toBe('Must be greater than 0');
    expect(issueFor(result.issues, 'limits.tokensPerMinute')).toBe('Must be a whole number');
  });

  it('sends a custom expiry as the end of that UTC day, and refuses a missing or past date', () => {
    const ok = buildKeyBody(form({ name: 'k', expiry: 'custom', expiresOn: '2099-05-01' }), member);
    expect(ok.ok && ok.body.expiresAt).toBe('2099-05-01T23:59:59.999Z');
    expect(ok.ok && 'expiresIn' in ok.body).toBe(false);

    const missing = buildKeyBody(form({ name: 'k', expiry: 'custom' }), member);
    expect(!missing.ok && issueFor(missing.issues, 'expiresAt')).toBe('Pick a date');
    const past = buildKeyBody(form({ name: 'k', expiry: 'custom', expiresOn: '2001-01-01' }), member);
    expect(!past.ok && issueFor(past.issues, 'expiresAt')).toBe('Must be in the future');
  });

  it('sends a budget with its period and sorted thresholds only when an amount is set', () => {
    const result = buildKeyBody(
      form({ name: 'k', budgetUsd: '25.5', budgetPeriod: 'weekly', alertThresholds: '100, 50' }),
      member,
    );
    expect(result.ok && result.body.budget).toEqual({
      limitUsd: 25.5,
      period: 'weekly',
      alertThresholds: [100, 50],
    });
    const bad = buildKeyBody(form({ name: 'k', budgetUsd: '10', alertThresholds: '50, 150' }), member);
    expect(!bad.ok && issueFor(bad.issues, 'budget.alertThresholds')).toBe('must be at most 100');
    const words = buildKeyBody(form({ name: 'k', budgetUsd: '10', alertThresholds: 'half' }), member);
    expect(!words.ok && issueFor(words.issues, 'budget')).toMatch(/whole percentages/);
    // The thresholds of no budget are not checked: the field is not even shown.
    expect(buildKeyBody(form({ name: 'k', alertThresholds: 'half' }), member).ok).toBe(true);
  });

  it('turns provider toggles into a restriction only when some are off, and refuses none', () => {
    const some = buildKeyBody(form({ name: 'k', providers: ['anthropic', 'openai'] }), member);
    expect(some.ok && some.body.allowedProviders).toEqual(['anthropic', 'openai']);
    const all = buildKeyBody(form({ name: 'k', providers: [...PROVIDERS] }), member);
    expect(all.ok && all.body.allowedProviders).toEqual([]);
    const none = buildKeyBody(form({ name: 'k', providers: [] }), member);
    expect(!none.ok && issueFor(none.issues, 'allowedProviders')).toMatch(/at least one provider/);
  });

  it('merges ticked and typed models and names a bad slug', () => {
    const ok = buildKeyBody(
      form({ name: 'k', models: ['demo-gpt'], otherModels: 'gpt-4o-mini\ndemo-gpt, claude-3' }),
      member,
    );
    expect(ok.ok && ok.body.allowedModels).toEqual(['demo-gpt', 'gpt-4o-mini', 'claude-3']);
    const bad = buildKeyBody(form({ name: 'k', otherModels: 'ok-model\n-bad slug' }), member);
    expect(!bad.ok && issueFor(bad.issues, 'allowedModels')).toMatch(/^"-bad slug" must be a model slug/);
  });

  it('checks the IP allowlist line by line', () => {
    const issues = ipAllowlistIssues('10.0.0.0/8\n\n10.0.0.1/8\n2001:db8::/32\nnot-an-ip');
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/^Line 3: /),
      expect.stringMatching(/^Line 5: "not-an-ip" is not a valid/),
    ]);
    const ok = buildKeyBody(form({ name: 'k', ipAllowlist: ' 10.0.0.0/8 \n203.0.113.7\n' }), member);
    expect(ok.ok && ok.body.ipAllowlist).toEqual(['10.0.0.0/8', '203.0.113.7']);
  });

  it('checks metadata as JSON object within the shared limits', () => {
    expect(parseMetadata('')).toEqual({ ok: true, value: {} });
    expect(parseMetadata('{"team":"backend"}')).toEqual({ ok: true, value: { team: 'backend' } });
    expect(parseMetadata('{"team":')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^Not valid JSON/),
    });
    expect(parseMetadata('[1,2]')).toMatchObject({ ok: false, error: expect.stringMatching(/JSON object/) });
    expect(parseMetadata(JSON.stringify({ big: 'x'.repeat(5000) }))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/4096 bytes/),
    });
    const bad = buildKeyBody(form({ name: 'k', metadata: '{oops' }), member);
    expect(!bad.ok && bad.issues.map((i) => i.field)).toEqual(['metadata']);
  });

  it('sends ownerId only for an admin who picked someone', () => {
    const other = '3f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f';
    expect(buildKeyBody(form({ name: 'k' }), admin)).toMatchObject({ ok: true });
    const picked = buildKeyBody(form({ name: 'k', ownerId: other }), admin);
    expect(picked.ok && picked.body.ownerId).toBe(other);
    const memberPick = buildKeyBody(form({ name: 'k', ownerId: other }), member);
    expect(memberPick.ok && 'ownerId' in memberPick.body).toBe(false);
  });

  it('keeps MCP lists only for list modes and per-server lists only for listed servers', () => {
    const lists = {
      tools: { a: ['t'], b: ['u'] },
      resources: { a: ['x:*'], b: ['y:*'] },
      prompts: { b: ['p'] },
    };
    expect(cleanMcpPolicy({ enabled: true, mode: 'allow_all', servers: ['a'], ...lists })).toEqual({
      enabled: true,
      mode: 'allow_all',
      servers: [],
      tools: {},
      resources: {},
      prompts: {},
    });
    expect(cleanMcpPolicy({ enabled: true, mode: 'deny_list', servers: ['a'], ...lists })).toEqual({
      enabled: true,
      mode: 'deny_list',
      servers: ['a'],
      tools: { a: ['t'] },
      resources: { a: ['x:*'] },
      prompts: {},
    });
  });
});

describe('buildKeyBody (MCP resource and prompt lines)', () => {
  it('drops blank lines and spaces, and names a bad line by its text', () => {
    const mcp = {
      enabled: true,
      mode: 'allow_list' as const,
      servers: ['github'],
      tools: {},
      resources: { github: ['  file:///docs/*', '', 'docs', 'file:///a/../b'] },
      prompts: { github: ['summarize ', ''] },
    };
    const bad = buildKeyBody(form({ name: 'k', mcp }), member);
    expect(bad.ok ? [] : bad.issues).toEqual([
      { field: 'mcp.resources.github.1', message: expect.stringMatching(/^"docs" must be a URI/) },
      { field: 'mcp.resources.github.2', message: '"file:///a/../b" must not contain . or .. path segments' },
    ]);
    const good = buildKeyBody(
      form({ name: 'k', mcp: { ...mcp, resources: { github: ['file:///docs/*', ''] } } }),
      member,
    );
    expect(good.ok && good.body.mcp).toMatchObject({
      resources: { github: ['file:///docs/*'] },
      prompts: { github: ['summarize'] },
    });
  });
});

describe('buildKeyBody (edit)', () => {
  it('round-trips a key through the form without changing it', () => {
    const values = formFromKey(existing);
    expect(values.expiry).toBe('keep');
    const result = buildKeyBody(values, { current: existing, canChooseOwner: true });
    expect(result).toEqual({
      ok: true,
      body: {
        name: 'Production API',
        limits: { requestsPerMinute: 600, tokensPerMinute: null },
        budget: { limitUsd: 50, period: 'monthly', alertThresholds: [50, 80, 100] },
        allowedProviders: ['openai'],
        allowedModels: ['gpt-4o-mini'],
        ipAllowlist: ['10.0.0.0/8'],
        metadata: { team: 'backend' },
        mcp: existing.mcp,
        // Kept when saving other fields.
        allowCallsWithoutModel: true,
      },
    });
  });

  it('keeps MCP resource and prompt lists when other fields change; a key without them gets empty ones', () => {
    const renamed = buildKeyBody(
      { ...formFromKey(existing), name: 'Renamed' },
      { current: existing, canChooseOwner: true },
    );
    expect(renamed.ok && renamed.body.mcp).toEqual(existing.mcp);
    const { resources: _r, prompts: _p, ...older } = existing.mcp;
    const olderKey = { ...existing, mcp: older } as unknown as ApiKey;
    const result = buildKeyBody(formFromKey(olderKey), { current: olderKey, canChooseOwner: true });
    expect(result.ok && result.body.mcp).toEqual({ ...older, resources: {}, prompts: {} });
  });

  it('sends allowCallsWithoutModel as ticked', () => {
    const off = buildKeyBody(
      { ...formFromKey(existing), allowCallsWithoutModel: false },
      { current: existing, canChooseOwner: false },
    );
    expect(off.ok && off.body.allowCallsWithoutModel).toBe(false);
    expect(fieldTab('allowCallsWithoutModel')).toBe('advanced');
  });

  it('clears a limit, the budget and the expiry with null', () => {
    const values = {
      ...formFromKey(existing),
      requestsPerMinute: '',
      budgetUsd: '',
      expiry: 'never' as const,
    };
    const result = buildKeyBody(values, { current: existing, canChooseOwner: false });
    expect(result.ok && result.body).toMatchObject({
      expiresAt: null,
      limits: { requestsPerMinute: null },
      budget: null,
    });
  });
});

describe('key helpers', () => {
  it('offers only the actions the API accepts in each state', () => {
    expect(keyActions('active')).toEqual(['edit', 'rotate', 'ephemeral', 'deactivate', 'revoke', 'delete']);
    expect(keyActions('inactive')).toContain('activate');
    expect(keyActions('inactive')).not.toContain('deactivate');
    expect(keyActions('expired')).not.toContain('rotate');
    expect(keyActions('revoked')).toEqual(['delete']);
  });

  it('maps API fields to the tab that shows them', () => {
    expect(fieldTab('limits.requestsPerMinute')).toBe('basic');
    expect(fieldTab('ownerId')).toBe('basic');
    expect(fieldTab('ipAllowlist.2')).toBe('advanced');
    expect(fieldTab('metadata')).toBe('advanced');
    expect(fieldTab('mcp.tools.github')).toBe('mcp');
  });

  it('masks the prefix for the table', () => {
    expect(maskPrefix('ptcl_AbCdEfGhIjKl')).toBe('ptcl_AbC…');
    expect(maskPrefix('ptcl_A')).toBe('ptcl_A');
  });
});
