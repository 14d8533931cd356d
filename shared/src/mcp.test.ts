import { describe, expect, it } from 'vitest';
import { type McpPolicy, McpPolicySchema, normalizeMcpPolicy } from './api-keys';
import {
  CreateMcpServerSchema,
  type McpPolicyRules,
  mcpPromptPermitted,
  mcpResourcePermitted,
  mcpResourceTemplatePermitted,
  mcpServerAccess,
  mcpServerPermitted,
  mcpServerRestricted,
  mcpToolPermitted,
  UpdateMcpServerSchema,
} from './mcp';
import { issuesToFields } from './validation';

const fields = (r: { success: boolean; error?: unknown }) =>
  r.success ? [] : issuesToFields(r.error as never).map((f) => f.field);

const policy = (p: Partial<McpPolicy>): McpPolicy => ({
  enabled: true,
  mode: 'allow_all',
  servers: [],
  tools: {},
  resources: {},
  prompts: {},
  ...p,
});

/** Every (server, tool) this test asks about, as "server/tool" strings that the policy permits. */
function permitted(p: McpPolicyRules): string[] {
  const out: string[] = [];
  for (const server of ['github', 'jira', 'slack'])
    for (const tool of ['search_issues', 'create_issue', 'delete_repo'])
      if (mcpToolPermitted(p, server, tool)) out.push(`${server}/${tool}`);
  return out;
}

describe('MCP policy semantics', () => {
  it('disabled and deny_all permit nothing, whatever the lists say', () => {
    expect(permitted(policy({ enabled: false }))).toEqual([]);
    expect(permitted(policy({ mode: 'deny_all' }))).toEqual([]);
    expect(
      mcpServerPermitted(policy({ enabled: false, mode: 'allow_list', servers: ['github'] }), 'github'),
    ).toBe(false);
    const lists = { servers: ['github'], resources: { github: ['*'] }, prompts: { github: ['p'] } };
    expect(mcpResourcePermitted(policy({ mode: 'deny_all', ...lists }), 'github', 'file:///a')).toBe(false);
    expect(mcpPromptPermitted(policy({ enabled: false, ...lists }), 'github', 'p')).toBe(false);
  });

  it('allow_all permits every server and tool', () => {
    expect(permitted(policy({}))).toHaveLength(9);
    expect(mcpServerRestricted(policy({}), 'github')).toBe(false);
  });

  it('allow_list: listed servers only; tools[server] narrows that server, absent means all its tools', () => {
    const p = policy({
      mode: 'allow_list',
      servers: ['github', 'jira'],
      tools: { github: ['search_issues'] },
    });
    expect(permitted(p)).toEqual([
      'github/search_issues',
      'jira/search_issues',
      'jira/create_issue',
      'jira/delete_repo',
    ]);
    expect(mcpServerPermitted(p, 'slack')).toBe(false);
    expect(mcpServerRestricted(p, 'github')).toBe(true);
    expect(mcpServerRestricted(p, 'jira')).toBe(false);
    // An empty tool list reaches the server but none of its tools.
    const none = policy({ mode: 'allow_list', servers: ['github'], tools: { github: [] } });
    expect(mcpServerPermitted(none, 'github')).toBe(true);
    expect(permitted(none)).toEqual([]);
  });

  it('deny_list: listed servers are denied wholly, unless tools[server] names the only tools denied', () => {
    const p = policy({ mode: 'deny_list', servers: ['github', 'jira'], tools: { github: ['delete_repo'] } });
    expect(mcpServerPermitted(p, 'jira')).toBe(false);
    expect(mcpServerPermitted(p, 'github')).toBe(true);
    expect(permitted(p)).toEqual([
      'github/search_issues',
      'github/create_issue',
      'slack/search_issues',
      'slack/create_issue',
      'slack/delete_repo',
    ]);
    expect(mcpServerRestricted(p, 'github')).toBe(true);
    expect(mcpServerRestricted(p, 'slack')).toBe(false);
  });

  it('does not treat inherited object keys as lists', () => {
    const p = policy({ mode: 'deny_list', servers: ['constructor'] });
    expect(mcpServerPermitted(p, 'constructor')).toBe(false);
    expect(mcpToolPermitted(policy({ mode: 'allow_list', servers: ['toString'] }), 'toString', 'x')).toBe(
      true,
    );
    const q = policy({ mode: 'allow_list', servers: ['toString'], tools: { toString: [] } });
    expect(mcpResourcePermitted(q, 'toString', 'file:///a')).toBe(false);
  });
});

/**
 * The resource/prompt rules as a table: for each policy, what one server (`s`) permits of tools `t1`,
 * `t2`, resources `file:///docs/a`, `file:///secret/b`, the templates `file:///docs/{name}` and
 * `file:///{+path}`, and prompts `p1`, `p2`. `null` = the server is not reachable at all.
 */
const probe = {
  tools: ['t1', 't2'],
  resources: ['file:///docs/a', 'file:///secret/b'],
  templates: ['file:///docs/{name}', 'file:///{+path}'],
  prompts: ['p1', 'p2'],
};
type Seen = { tools: string[]; resources: string[]; templates: string[]; prompts: string[] } | null;
function seen(p: McpPolicyRules): Seen {
  const a = mcpServerAccess(p, 's');
  if (a === null) return null;
  return {
    tools: probe.tools.filter((t) => a.tool(t)),
    resources: probe.resources.filter((u) => a.resource(u)),
    templates: probe.templates.filter((t) => a.resourceTemplate(t)),
    prompts: probe.prompts.filter((n) => a.prompt(n)),
  };
}
const everything = { ...probe };
const nothing = { tools: [], resources: [], templates: [], prompts: [] };

describe('MCP resources and prompts: absent = what the tool list allows', () => {
  it.each<[string, McpPolicyRules, Seen]>([
    ['disabled', policy({ enabled: false }), null],
    ['deny_all', policy({ mode: 'deny_all' }), null],
    [
      'allow_all (lists ignored)',
      policy({ servers: ['s'], resources: { s: [] }, prompts: { s: [] } }),
      everything,
    ],
    ['allow_list, server unlisted', policy({ mode: 'allow_list', servers: ['x'] }), null],
    ['allow_list, no entries', policy({ mode: 'allow_list', servers: ['s'] }), everything],
    [
      'allow_list, tools only: resources and prompts follow them (none)',
      policy({ mode: 'allow_list', servers: ['s'], tools: { s: ['t1'] } }),
      { ...nothing, tools: ['t1'] },
    ],
    [
      'allow_list, empty tools: none of anything',
      policy({ mode: 'allow_list', servers: ['s'], tools: { s: [] } }),
      nothing,
    ],
    [
      'allow_list, resources only: tools and prompts unrestricted',
      policy({ mode: 'allow_list', servers: ['s'], resources: { s: ['file:///docs/*'] } }),
      { ...everything, resources: ['file:///docs/a'], templates: ['file:///docs/{name}'] },
    ],
    [
      'allow_list, tools and prompts: resources follow the tools (none)',
      policy({ mode: 'allow_list', servers: ['s'], tools: { s: ['t2'] }, prompts: { s: ['p2'] } }),
      { ...nothing, tools: ['t2'], prompts: ['p2'] },
    ],
    [
      'allow_list, an exact URI never covers a template',
      policy({ mode: 'allow_list', servers: ['s'], tools: { s: [] }, resources: { s: ['file:///docs/a'] } }),
      { ...nothing, resources: ['file:///docs/a'] },
    ],
    [
      'allow_list, "*" is every resource and template',
      policy({ mode: 'allow_list', servers: ['s'], tools: { s: [] }, resources: { s: ['*'] } }),
      { ...nothing, resources: probe.resources, templates: probe.templates },
    ],
    ['deny_list, server unlisted', policy({ mode: 'deny_list', servers: ['x'] }), everything],
    [
      'deny_list, server listed without entries: denied wholly',
      policy({ mode: 'deny_list', servers: ['s'] }),
      null,
    ],
    [
      'deny_list, tools entry: resources and prompts all',
      policy({ mode: 'deny_list', servers: ['s'], tools: { s: ['t1'] } }),
      { ...everything, tools: ['t2'] },
    ],
    [
      'deny_list, resources entry alone keeps the server reachable',
      policy({ mode: 'deny_list', servers: ['s'], resources: { s: ['file:///secret/*'] } }),
      // file:///{+path} can produce file:///secret/…: hidden.
      { ...everything, resources: ['file:///docs/a'], templates: ['file:///docs/{name}'] },
    ],
    [
      'deny_list, prompts entry alone keeps the server reachable',
      policy({ mode: 'deny_list', servers: ['s'], prompts: { s: ['p1'] } }),
      { ...everything, prompts: ['p2'] },
    ],
    [
      'deny_list, an exact URI the template can produce hides it',
      policy({ mode: 'deny_list', servers: ['s'], resources: { s: ['file:///docs/a'] } }),
      { ...everything, resources: ['file:///secret/b'], templates: [] },
    ],
    [
      'a policy without resources/prompts',
      { enabled: true, mode: 'allow_list', servers: ['s'], tools: { s: ['t1'] } },
      { ...nothing, tools: ['t1'] },
    ],
  ])('%s', (_name, p, expected) => {
    expect(seen(p)).toEqual(expected);
    expect(mcpServerPermitted(p, 's')).toBe(expected !== null);
    expect(mcpServerRestricted(p, 's')).toBe(
      expected !== null && JSON.stringify(expected) !== JSON.stringify(everything),
    );
  });
});

describe('MCP resource URI matching', () => {
  const allow = (...patterns: string[]) =>
    mcpServerAccess(policy({ mode: 'allow_list', servers: ['s'], resources: { s: patterns } }), 's');
  const deny = (...patterns: string[]) =>
    mcpServerAccess(policy({ mode: 'deny_list', servers: ['s'], resources: { s: patterns } }), 's');

  it('exact patterns match exactly, prefix patterns by prefix', () => {
    const a = allow('file:///docs/readme.md', 'db://customers/*');
    expect(a?.resource('file:///docs/readme.md')).toBe(true);
    expect(a?.resource('file:///docs/readme.md.bak')).toBe(false);
    expect(a?.resource('db://customers/42')).toBe(true);
    expect(a?.resource('db://customers')).toBe(false);
    expect(a?.resource('db://orders/1')).toBe(false);
  });

  it.each([
    ['a dot segment', 'file:///docs/../secret/b'],
    ['a trailing dot segment', 'file:///docs/..'],
    ['a single-dot segment', 'file:///docs/./a'],
    ['a %-encoded dot segment', 'file:///docs/%2e%2E/secret/b'],
    ['a %-encoded slash around dots', 'file:///docs/..%2fsecret/b'],
    ['a backslash', 'file:///docs/..\\secret'],
    ['a malformed escape', 'file:///docs/%zz'],
    ['a control character', 'file:///docs/a\nb'],
    ['an encoded control character', 'file:///docs/a%0ab'],
  ])('a URI with %s is refused where resources are restricted (allow and deny lists)', (_what, uri) => {
    expect(allow('file:///docs/*')?.resource(uri)).toBe(false);
    expect(deny('file:///secret/*')?.resource(uri)).toBe(false);
    // Unrestricted: the server decides.
    expect(mcpResourcePermitted(policy({}), 's', uri)).toBe(true);
  });

  it('compares the URI as written and %-decoded, the scheme in lower case', () => {
    const d = deny('file:///secret/*');
    expect(d?.resource('file:///s%65cret/b')).toBe(false); // decodes to a denied URI
    expect(d?.resource('FILE:///secret/b')).toBe(false);
    expect(d?.resource('file:///docs/a%20b')).toBe(true);
    const a = allow('file:///docs/*', 'file:///My%20Files/*');
    expect(a?.resource('File:///docs/a')).toBe(true);
    expect(a?.resource('file:///doc%73/a')).toBe(false); // as written it is not under the prefix
    expect(a?.resource('file:///docs%2fa')).toBe(false);
    expect(a?.resource('file:///My%20Files/x')).toBe(true);
    expect(a?.resource('file:///My Files/x')).toBe(false); // not what the pattern says as written
  });

  it('templates: an allow prefix must cover the literal prefix; a deny pattern must not overlap it', () => {
    const a = allow('file:///docs/*', 'db://customers/42');
    expect(a?.resourceTemplate('file:///docs/{name}')).toBe(true);
    expect(a?.resourceTemplate('file:///docs/{+path}')).toBe(true);
    expect(a?.resourceTemplate('file:///{+path}')).toBe(false);
    expect(a?.resourceTemplate('file:///do{x}')).toBe(false);
    expect(a?.resourceTemplate('db://customers/{id}')).toBe(false);
    expect(a?.resourceTemplate('db://customers/42')).toBe(true); // no expression: a URI
    expect(a?.resourceTemplate('file:///docs/../{x}')).toBe(false);
    const d = deny('file:///secret/*', 'db://customers/42');
    expect(d?.resourceTemplate('file:///docs/{name}')).toBe(true);
    expect(d?.resourceTemplate('file:///{+path}')).toBe(false);
    expect(d?.resourceTemplate('file:///secret/{name}')).toBe(false);
    expect(d?.resourceTemplate('file:///sec{x}')).toBe(false);
    expect(d?.resourceTemplate('db://customers/{id}')).toBe(false);
    expect(d?.resourceTemplate('db://orders/{id}')).toBe(true);
    expect(mcpResourceTemplatePermitted(policy({}), 's', 'file:///{+path}')).toBe(true);
  });
});

describe('McpPolicySchema resources and prompts', () => {
  const parse = (p: Record<string, unknown>) =>
    McpPolicySchema.safeParse({ enabled: true, mode: 'allow_list', servers: ['github'], ...p });

  it('defaults both to {} and keeps policies without them valid', () => {
    const r = McpPolicySchema.parse({ enabled: true, mode: 'allow_all' });
    expect(r).toEqual({
      enabled: true,
      mode: 'allow_all',
      servers: [],
      tools: {},
      resources: {},
      prompts: {},
    });
    expect(normalizeMcpPolicy({ enabled: false, mode: 'allow_all', servers: [], tools: {} })).toEqual({
      enabled: false,
      mode: 'allow_all',
      servers: [],
      tools: {},
      resources: {},
      prompts: {},
    });
  });

  it('accepts URI patterns and prompt names, removing repeats', () => {
    const r = parse({
      resources: {
        github: ['file:///docs/*', 'repo://acme/app/README.md', '*', 'file:///docs/*', 'urn:x:%20y'],
      },
      prompts: { github: ['code_review', 'Summarize this'] },
    });
    expect(r.success && r.data.resources).toEqual({
      github: ['file:///docs/*', 'repo://acme/app/README.md', '*', 'urn:x:%20y'],
    });
    expect(r.success && r.data.prompts).toEqual({ github: ['code_review', 'Summarize this'] });
  });

  it('names each bad entry', () => {
    const r = parse({
      resources: {
        github: [
          'no-scheme',
          'file:///a*b',
          'file:///a b',
          'file:///../x',
          'file:///%2e%2e/x',
          'file:///%zz',
          'file:///{name}',
          'file:///a\\b',
          '',
          `file:///${'a'.repeat(2048)}`,
        ],
        jira: ['file:///x'],
      },
      prompts: { github: ['', ' padded', 'a\tb', 'x'.repeat(129)], slack: ['p'] },
    });
    expect(fields(r).sort()).toEqual(
      [
        ...Array.from({ length: 10 }, (_, i) => `resources.github.${i}`),
        'resources.jira',
        'prompts.github.0',
        'prompts.github.1',
        'prompts.github.2',
        'prompts.github.3',
        'prompts.slack',
      ].sort(),
    );
    expect(fields(parse({ resources: { github: Array.from({ length: 501 }, (_, i) => `x:${i}`) } }))).toEqual(
      ['resources.github'],
    );
    expect(fields(parse({ resources: { github: 'file:///x' } }))).toEqual(['resources.github']);
    expect(fields(parse({ prompts: [] }))).toEqual(['prompts']);
  });
});

describe('CreateMcpServerSchema', () => {
  it('accepts a full body and defaults enabled to true', () => {
    const r = CreateMcpServerSchema.parse({
      name: 'github_2-x',
      url: 'https://mcp.example.com/mcp',
      headers: { Authorization: 'Bearer abc' },
      tools: [{ name: 'search_issues', description: 'Search' }],
    });
    expect(r.enabled).toBe(true);
    expect(r.headers).toEqual({ Authorization: 'Bearer abc' });
  });

  it('names each bad field', () => {
    const r = CreateMcpServerSchema.safeParse({
      name: 'GitHub',
      url: 'ftp://x',
      headers: { 'Mcp-Session-Id': 'x', 'bad name': 'y', Authorization: 'a', authorization: 'b' },
      tools: [{ name: 'a' }, { name: 'a' }],
      enabled: 'yes',
    });
    expect(fields(r).sort()).toEqual(
      [
        'name',
        'url',
        'headers.Mcp-Session-Id',
        'headers.bad name',
        'headers.authorization',
        'tools.1.name',
        'enabled',
      ].sort(),
    );
    expect(fields(CreateMcpServerSchema.safeParse({}))).toEqual(['name', 'url']);
    expect(
      fields(CreateMcpServerSchema.safeParse({ name: 'x'.repeat(65), url: 'https://a.example' })),
    ).toEqual(['name']);
    expect(fields(CreateMcpServerSchema.safeParse({ name: 'a', url: 'https://u:p@a.example' }))).toEqual([
      'url',
    ]);
    expect(
      fields(CreateMcpServerSchema.safeParse({ name: 'a', url: 'https://a.example', extra: 1 })),
    ).toEqual(['extra']);
  });

  it('PATCH must change something', () => {
    expect(UpdateMcpServerSchema.safeParse({}).success).toBe(false);
    expect(UpdateMcpServerSchema.safeParse({ enabled: false }).success).toBe(true);
  });
});
