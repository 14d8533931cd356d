import { describe, expect, it } from 'vitest';
import { DEFAULT_MCP_POLICY, type McpPolicy } from './api-keys';
import { cidrWithin } from './cidr';
import {
  ceilingViolations,
  type KeyRestrictions,
  mcpCapPolicy,
  mcpExcess,
  raiseCeiling,
} from './key-ceiling';

const open: KeyRestrictions = {
  limits: {
    requestsPerMinute: null,
    tokensPerMinute: null,
    inputTokensPerMinute: null,
    outputTokensPerMinute: null,
    concurrentRequests: null,
  },
  budget: null,
  allowedProviders: [],
  allowedModels: [],
  ipAllowlist: [],
  expiresAt: null,
  mcp: DEFAULT_MCP_POLICY,
};
const fields = (issues: { field: string }[]) => issues.map((i) => i.field);

describe('raiseCeiling', () => {
  it('keeps only what the admin wrote, limits field by field', () => {
    const first = raiseCeiling(null, {
      limits: { ...open.limits, requestsPerMinute: 10 },
      limitFields: ['requestsPerMinute'],
    });
    expect(first).toEqual({ limits: { requestsPerMinute: 10 } });
    const second = raiseCeiling(first, {
      limits: { ...open.limits, requestsPerMinute: 10, tokensPerMinute: 500 },
      limitFields: ['tokensPerMinute'],
      budget: { limitUsd: 5, period: 'daily' },
    });
    expect(second).toEqual({
      limits: { requestsPerMinute: 10, tokensPerMinute: 500 },
      budget: { limitUsd: 5, period: 'daily' },
    });
  });
});

describe('ceilingViolations', () => {
  const ceiling = raiseCeiling(null, {
    limits: { ...open.limits, requestsPerMinute: 10, concurrentRequests: 2 },
    limitFields: ['requestsPerMinute', 'concurrentRequests'],
    budget: { limitUsd: 50, period: 'monthly' },
    allowedModels: ['cheap', 'mini'],
    allowedProviders: ['openai'],
    ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'],
    expiresAt: '2030-01-01T00:00:00.000Z',
  });
  const within: KeyRestrictions = {
    ...open,
    limits: { ...open.limits, requestsPerMinute: 10, concurrentRequests: 1 },
    budget: { limitUsd: 20, period: 'monthly' },
    allowedModels: ['mini'],
    allowedProviders: ['openai'],
    ipAllowlist: ['10.1.0.0/16', '2001:db8:1::1'],
    expiresAt: '2029-06-01T00:00:00.000Z',
  };

  it('accepts equal or tighter values', () => {
    expect(ceilingViolations(ceiling, within)).toEqual([]);
    expect(ceilingViolations(null, open)).toEqual([]);
  });

  it.each([
    ['a higher limit', { limits: { ...within.limits, requestsPerMinute: 11 } }, ['limits.requestsPerMinute']],
    [
      'a removed limit',
      { limits: { ...within.limits, concurrentRequests: null } },
      ['limits.concurrentRequests'],
    ],
    ['a larger budget', { budget: { limitUsd: 51, period: 'monthly' } }, ['budget.limitUsd']],
    ['another budget period', { budget: { limitUsd: 50, period: 'daily' } }, ['budget.period']],
    ['no budget', { budget: null }, ['budget']],
    ['another model', { allowedModels: ['mini', 'big'] }, ['allowedModels.1']],
    ['every model', { allowedModels: [] }, ['allowedModels']],
    ['every provider', { allowedProviders: [] }, ['allowedProviders']],
    ['an address outside', { ipAllowlist: ['10.0.0.1', '192.168.0.1'] }, ['ipAllowlist.1']],
    ['a wider network', { ipAllowlist: ['0.0.0.0/0'] }, ['ipAllowlist.0']],
    ['no IP restriction', { ipAllowlist: [] }, ['ipAllowlist']],
    ['a later expiry', { expiresAt: '2030-01-01T00:00:01.000Z' }, ['expiresAt']],
    ['no expiry', { expiresAt: null }, ['expiresAt']],
  ] as const)('refuses %s, naming the field', (_, change, expected) => {
    expect(fields(ceilingViolations(ceiling, { ...within, ...change } as KeyRestrictions))).toEqual(expected);
  });
});

describe('mcpExcess', () => {
  const p = (
    mode: McpPolicy['mode'],
    servers: string[] = [],
    tools: Record<string, string[]> = {},
    resources: Record<string, string[]> = {},
    prompts: Record<string, string[]> = {},
  ): McpPolicy => ({
    enabled: true,
    mode,
    servers,
    tools,
    resources,
    prompts,
  });
  const off: McpPolicy = { ...DEFAULT_MCP_POLICY };

  it.each([
    ['disabled within anything', off, p('deny_all'), []],
    ['the same allow list', p('allow_list', ['gh']), p('allow_list', ['gh']), []],
    [
      'fewer tools of a listed server',
      p('allow_list', ['gh'], { gh: ['read'] }),
      p('allow_list', ['gh']),
      [],
    ],
    [
      'a subset of tools',
      p('allow_list', ['gh'], { gh: ['read'] }),
      p('allow_list', ['gh'], { gh: ['read', 'x'] }),
      [],
    ],
    ['an allow list within a deny list', p('allow_list', ['gh']), p('deny_list', ['db']), []],
    ['a deny list denying more', p('deny_list', ['db', 'gh']), p('deny_list', ['db']), []],
    ['allow_all within allow_all', p('allow_all'), p('allow_all'), []],
    ['another server', p('allow_list', ['gh', 'db']), p('allow_list', ['gh']), ['mcp.servers']],
    ['allow_all within a list', p('allow_all'), p('allow_list', ['gh']), ['mcp.servers']],
    ['a deny list within an allow list', p('deny_list', ['db']), p('allow_list', ['gh']), ['mcp.servers']],
    [
      'all tools where some were listed',
      p('allow_list', ['gh']),
      p('allow_list', ['gh'], { gh: ['read'] }),
      // The bound's prompts and resources follow its tools (none): all of them is more.
      ['mcp.tools.gh', 'mcp.prompts.gh', 'mcp.resources.gh'],
    ],
    [
      'another tool',
      p('allow_list', ['gh'], { gh: ['read', 'write'] }),
      p('allow_list', ['gh'], { gh: ['read'] }),
      ['mcp.tools.gh'],
    ],
    [
      'a denied tool allowed again',
      p('deny_list', ['gh'], { gh: [] }),
      p('deny_list', ['gh'], { gh: ['drop'] }),
      ['mcp.tools.gh'],
    ],
    ['anything within disabled', p('allow_list', ['gh']), off, ['mcp.servers']],
    // Resources and prompts: absent lists follow the tools, so they count too.
    [
      'resources where the tools (and so the resources) were restricted',
      p('allow_list', ['gh'], { gh: ['read'] }, { gh: ['*'] }),
      p('allow_list', ['gh'], { gh: ['read'] }),
      ['mcp.resources.gh'],
    ],
    [
      'prompts where the tools (and so the prompts) were restricted',
      p('allow_list', ['gh'], { gh: ['read'] }, {}, { gh: ['summarize'] }),
      p('allow_list', ['gh'], { gh: ['read'] }),
      ['mcp.prompts.gh'],
    ],
    [
      'narrower resource patterns',
      p('allow_list', ['gh'], {}, { gh: ['file:///docs/a/*', 'file:///docs/b.md'] }),
      p('allow_list', ['gh'], {}, { gh: ['file:///docs/*'] }),
      [],
    ],
    [
      'a wider resource pattern',
      p('allow_list', ['gh'], {}, { gh: ['file:///*'] }),
      p('allow_list', ['gh'], {}, { gh: ['file:///docs/*'] }),
      ['mcp.resources.gh'],
    ],
    [
      'an exact URI beside an exact one',
      p('allow_list', ['gh'], {}, { gh: ['file:///docs/b.md'] }),
      p('allow_list', ['gh'], {}, { gh: ['file:///docs/a.md'] }),
      ['mcp.resources.gh'],
    ],
    [
      'all resources where some were listed',
      p('allow_list', ['gh'], {}, {}),
      p('allow_list', ['gh'], {}, { gh: ['file:///docs/*'] }),
      ['mcp.resources.gh'],
    ],
    [
      'a deny list of resources denying more',
      p('deny_list', ['gh'], {}, { gh: ['file:///*'] }),
      p('deny_list', ['gh'], {}, { gh: ['file:///secrets/*'] }),
      [],
    ],
    [
      'a deny list of resources denying less',
      p('deny_list', ['gh'], {}, { gh: ['file:///secrets/a'] }),
      p('deny_list', ['gh'], {}, { gh: ['file:///secrets/*'] }),
      ['mcp.resources.gh'],
    ],
    [
      'allowed resources within a deny list, overlapping it',
      p('allow_list', ['gh'], {}, { gh: ['file:///*'] }, {}),
      p('deny_list', ['gh'], {}, { gh: ['file:///secrets/*'] }),
      ['mcp.resources.gh'],
    ],
    [
      'allowed resources within a deny list, apart from it',
      p('allow_list', ['gh'], {}, { gh: ['file:///docs/*'] }, {}),
      p('deny_list', ['gh'], {}, { gh: ['file:///secrets/*'] }),
      [],
    ],
    [
      'a deny list of resources within an allow list',
      p('deny_list', ['gh'], {}, { gh: ['file:///secrets/*'] }),
      p('allow_list', ['gh'], {}, { gh: ['file:///docs/*'] }),
      ['mcp.resources.gh', 'mcp.servers'],
    ],
    [
      'a denied prompt allowed again',
      p('deny_list', ['gh'], {}, {}, { gh: [] }),
      p('deny_list', ['gh'], {}, {}, { gh: ['leak'] }),
      ['mcp.prompts.gh'],
    ],
  ] as const)('%s', (_, policy, bound, expected) => {
    expect(fields(mcpExcess(policy, bound, '(test)'))).toEqual(expected);
  });

  it('caps members by the organization default', () => {
    expect(mcpExcess(p('allow_list', ['gh']), mcpCapPolicy({ mode: 'listed', servers: ['gh'] }), '')).toEqual(
      [],
    );
    expect(
      fields(mcpExcess(p('allow_list', ['gh']), mcpCapPolicy({ mode: 'none', servers: [] }), '')),
    ).toEqual(['mcp.servers']);
    expect(mcpExcess(off, mcpCapPolicy({ mode: 'none', servers: [] }), '')).toEqual([]);
    expect(mcpExcess(p('allow_all'), mcpCapPolicy({ mode: 'all', servers: [] }), '')).toEqual([]);
  });
});

describe('cidrWithin', () => {
  it.each([
    ['10.1.2.3', '10.0.0.0/8', true],
    ['10.0.0.0/8', '10.0.0.0/8', true],
    ['10.0.0.0/7', '10.0.0.0/8', false],
    ['11.0.0.1', '10.0.0.0/8', false],
    ['2001:db8::1', '2001:db8::/32', true],
    ['2001:db8::1', '10.0.0.0/8', false],
    ['not an ip', '10.0.0.0/8', false],
  ] as const)('%s within %s: %s', (inner, outer, expected) => {
    expect(cidrWithin(inner, outer)).toBe(expected);
  });
});
