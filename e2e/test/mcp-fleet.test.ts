import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Fleet } from '@portcullis/testing/fleet';
import { mcpInitializeAt } from '@portcullis/testing/gateway-calls';
import { eventually } from '@portcullis/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
const gatewayVersion = async () =>
  ((await (await fetch(`${gatewayUrl()}/readyz`)).json()) as { snapshotVersion: number }).snapshotVersion;

async function mcpStatus(server: string, secret: string): Promise<number> {
  const res = await mcpInitializeAt(gatewayUrl(), server, secret);
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
    const key = await fleet.addKey({
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

  it('resource and prompt lists set over REST are enforced at the gateway, survive other edits, and change by delta', async () => {
    const name = 'docs';
    await fleet.api('POST', `/orgs/${fleet.orgId}/mcp-servers`, {
      name,
      url: `${fleet.upstream.url}/mcp-sse`,
    });
    const mcp = {
      enabled: true,
      mode: 'allow_list',
      servers: [name],
      tools: { [name]: ['search_issues'] },
      resources: { [name]: ['file:///docs/*'] },
      prompts: { [name]: ['summarize'] },
    };
    const key = await fleet.addKey({ name: 'mcp resources key', mcp });
    await eventually(async () => (await mcpStatus(name, key.secret)) === 200);
    const connect = async () => {
      const client = new Client({ name: 'e2e', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${gatewayUrl()}/mcp/${name}`), {
          requestInit: { headers: { authorization: `Bearer ${key.secret}` } },
        }),
      );
      return client;
    };
    const uris = async (client: Client) => (await client.listResources()).resources.map((r) => r.uri).sort();

    let client = await connect();
    expect(await uris(client)).toEqual(['file:///docs/changelog.md', 'file:///docs/readme.md']);
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(['summarize']);
    await expect(client.readResource({ uri: 'file:///secrets/prod.env' })).rejects.toMatchObject({
      code: 403,
    });
    await client.close();

    // Renaming the key (a delta carrying the whole key) keeps its lists at the gateway.
    const before = await gatewayVersion();
    const renamed = await fleet.api<{ mcp: typeof mcp }>('PATCH', `/orgs/${fleet.orgId}/keys/${key.id}`, {
      name: 'mcp resources key, renamed',
    });
    expect(renamed.mcp).toEqual(mcp);
    await eventually(async () => (await gatewayVersion()) > before);
    client = await connect();
    expect(await uris(client)).toEqual(['file:///docs/changelog.md', 'file:///docs/readme.md']);
    await expect(client.readResource({ uri: 'file:///secrets/prod.env' })).rejects.toMatchObject({
      code: 403,
    });
    await client.close();

    // Widening the resource list reaches the gateway by delta.
    await fleet.api('PATCH', `/orgs/${fleet.orgId}/keys/${key.id}`, {
      mcp: { ...mcp, resources: { [name]: ['file:///*'] } },
    });
    await eventually(async () => {
      const c = await connect();
      const seen = await uris(c);
      await c.close();
      return seen.length === 3;
    });
    client = await connect();
    const secret = await client.readResource({ uri: 'file:///secrets/prod.env' });
    expect(JSON.stringify(secret.contents)).toContain('fake-production-secret');
    await client.close();
  });
});
