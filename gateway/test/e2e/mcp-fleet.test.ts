import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, Fleet } from './fleet.js';

// End to end through real processes: an MCP server created over the control plane's REST API reaches a
// gateway by snapshot delta; the official MCP client talks to the fake MCP server through it.
const fleet = new Fleet();

beforeAll(async () => {
  await fleet.start(1);
}, 120_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

const gatewayUrl = () => fleet.gateways[0]?.url ?? '';

async function mcpStatus(server: string, secret: string): Promise<number> {
  const res = await fetch(`${gatewayUrl()}/mcp/${server}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${secret}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'probe', version: '1' },
      },
    }),
  });
  await res.body?.cancel();
  return res.status;
}

describe('MCP servers end to end', () => {
  it('created over REST, filtered per key at the gateway, headers sealed in transit, disabled → 404', async () => {
    const server = await fleet.api<{ id: string }>('POST', `/orgs/${fleet.orgId}/mcp-servers`, {
      name: 'github',
      url: `${fleet.upstream.url}/mcp`,
      headers: { Authorization: 'Bearer e2e-mcp-upstream-secret' },
      tools: [{ name: 'search_issues' }, { name: 'create_issue' }, { name: 'delete_repo' }],
    });
    const key = await fleet.api<{ secret: string }>('POST', `/orgs/${fleet.orgId}/keys`, {
      name: 'mcp key',
      mcp: { enabled: true, mode: 'allow_list', servers: ['github'], tools: { github: ['search_issues'] } },
    });
    // The key and the server arrive by delta; wait (bounded) until the gateway has both.
    await eventually(async () => (await mcpStatus('github', key.secret)) === 200);

    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gatewayUrl()}/mcp/github`), {
        requestInit: { headers: { authorization: `Bearer ${key.secret}` } },
      }),
    );
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['search_issues']);
    const found = await client.callTool({ name: 'search_issues', arguments: { query: 'e2e' } });
    expect(found.content).toEqual([{ type: 'text', text: 'Found 2 issues matching "e2e"' }]);
    await expect(client.callTool({ name: 'delete_repo', arguments: { repo: 'x' } })).rejects.toMatchObject({
      code: 403,
      message: expect.stringContaining('insufficient_scope'),
    });
    await client.close();
    const seen = fleet.upstream.requests.filter((r) => r.path === '/mcp');
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) expect(r.headers.authorization).toBe('Bearer e2e-mcp-upstream-secret');

    await fleet.api('PATCH', `/orgs/${fleet.orgId}/mcp-servers/${server.id}`, { enabled: false });
    await eventually(async () => (await mcpStatus('github', key.secret)) === 404);
  });
});
