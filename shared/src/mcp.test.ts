import { describe, expect, it } from 'vitest';
import type { McpPolicy } from './api-keys';
import {
  CreateMcpServerSchema,
  mcpServerPermitted,
  mcpToolPermitted,
  mcpToolsRestricted,
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
  ...p,
});

/** Every (server, tool) this test asks about, as "server/tool" strings that the policy permits. */
function permitted(p: McpPolicy): string[] {
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
  });

  it('allow_all permits every server and tool', () => {
    expect(permitted(policy({}))).toHaveLength(9);
    expect(mcpToolsRestricted(policy({}), 'github')).toBe(false);
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
    expect(mcpToolsRestricted(p, 'github')).toBe(true);
    expect(mcpToolsRestricted(p, 'jira')).toBe(false);
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
    expect(mcpToolsRestricted(p, 'github')).toBe(true);
    expect(mcpToolsRestricted(p, 'slack')).toBe(false);
  });

  it('does not treat inherited object keys as tool lists', () => {
    const p = policy({ mode: 'deny_list', servers: ['constructor'] });
    expect(mcpServerPermitted(p, 'constructor')).toBe(false);
    expect(mcpToolPermitted(policy({ mode: 'allow_list', servers: ['toString'] }), 'toString', 'x')).toBe(
      true,
    );
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
