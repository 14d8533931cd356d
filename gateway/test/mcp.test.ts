import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { McpPolicy } from '@portcullis/shared/api-keys';
import { seal } from '@portcullis/shared/crypto';
import type { SnapshotMcpServer } from '@portcullis/shared/snapshot';
import { parseUpstreamAllowlist } from '@portcullis/shared/upstream-url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../src/app.js';
import { type FakeUpstream, startFakeUpstream } from '../src/fake-upstream/server.js';
import { SnapshotStore } from '../src/snapshot/store.js';
import { UpstreamClient } from '../src/upstream/client.js';
import { type Served, SnapshotBuilder, serveApp, sleep } from './helpers.js';

// The gateway's /mcp/:server proxy on a real port, driven by the official MCP client, in front of the
// fake MCP server (JSON answers at /mcp, SSE answers at /mcp-sse) over real HTTP.

const UPSTREAM_AUTH = 'Bearer mcp-upstream-secret';
const ALL = ['create_issue', 'delete_repo', 'search_issues'];

let upstream: FakeUpstream;
let gateway: Gateway;
let served: Served;
const keys: Record<string, string> = {};
const open: Client[] = [];

const policy = (p: Partial<McpPolicy>): { mcp: McpPolicy } => ({
  mcp: { enabled: true, mode: 'allow_all', servers: [], tools: {}, ...p },
});

beforeAll(async () => {
  upstream = await startFakeUpstream();
  const b = new SnapshotBuilder();
  const server = (name: string, path: string, headers: Record<string, string> | null, enabled = true) => {
    const id = randomUUID();
    return {
      id,
      name,
      url: `${upstream.url}${path}`,
      sealedHeaders: headers ? seal(b.snapshotKey, JSON.stringify(headers), 1, id) : null,
      enabled,
    } satisfies SnapshotMcpServer;
  };
  const mcpServers = [
    server('github', '/mcp', { Authorization: UPSTREAM_AUTH, 'X-Tenant': 'acme' }),
    server('jira', '/mcp-sse', null),
    server('off', '/mcp', null, false),
    // Not allowlisted on this gateway: refused before any connection.
    server('internal', '/mcp', null),
  ];
  (mcpServers[3] as SnapshotMcpServer).url = 'http://169.254.169.254/mcp';
  const made = await Promise.all(
    Object.entries({
      allowAll: policy({}),
      allowListTools: policy({
        mode: 'allow_list',
        servers: ['github', 'jira', 'nowhere'],
        tools: { github: ['search_issues'], jira: ['create_issue'] },
      }),
      allowListServers: policy({ mode: 'allow_list', servers: ['github'] }),
      denyListTools: policy({ mode: 'deny_list', servers: ['github'], tools: { github: ['delete_repo'] } }),
      denyListServers: policy({ mode: 'deny_list', servers: ['github'] }),
      denyAll: policy({ mode: 'deny_all' }),
      disabled: { mcp: { enabled: false, mode: 'allow_all', servers: [], tools: {} } as McpPolicy },
      inactive: { ...policy({}), status: 'inactive' as const },
    }).map(async ([name, overrides]) => [name, (await b.key(overrides)).key] as const),
  );
  for (const [name, key] of made) keys[name] = key;
  const store = new SnapshotStore();
  store.setSnapshotKey(b.snapshotKey);
  store.apply({ ...b.build(), mcpServers });
  gateway = buildGateway({
    store,
    upstream: new UpstreamClient({ allowlist: parseUpstreamAllowlist('127.0.0.1') }),
  });
  served = await serveApp(gateway.app);
}, 30_000);

afterAll(async () => {
  await Promise.all(open.map((c) => c.close().catch(() => {})));
  await served.close();
  await gateway.close();
  await upstream.close();
});

const k = (name: string) => keys[name] as string;

/** The official MCP client, connected through the gateway with the key as `Authorization: Bearer`. */
async function connect(server: string, key: string): Promise<Client> {
  const client = new Client({ name: 'portcullis-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${served.url}/mcp/${server}`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  open.push(client);
  return client;
}

async function toolNames(server: string, key: string): Promise<string[]> {
  const client = await connect(server, key);
  const { tools } = await client.listTools();
  await client.close();
  return tools.map((t) => t.name).sort();
}

/** What the SDK reports when the gateway refuses: the HTTP status and the gateway's error code. */
async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: number; message: string };
    const code = /"code":"([a-z_]+)"/.exec(e.message)?.[1] ?? '';
    return { status: e.code ?? 0, code };
  }
  throw new Error('expected a refusal');
}

const rpc = (id: number, method: string, params: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id,
  method,
  params,
});

async function post(server: string, body: unknown, headers: Record<string, string>) {
  const res = await fetch(`${served.url}/mcp/${server}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // SSE or empty
  }
  return { status: res.status, headers: res.headers, text, json: json as { error?: { code: string } } };
}

describe('/mcp/:server tools/list is filtered by the key MCP policy', () => {
  it.each([
    ['allowAll', 'github', ALL],
    ['allowAll', 'jira', ALL],
    ['allowListTools', 'github', ['search_issues']], // JSON answer filtered
    ['allowListTools', 'jira', ['create_issue']], // SSE answer filtered
    ['allowListServers', 'github', ALL], // no tools[server]: all its tools
    ['denyListTools', 'github', ['create_issue', 'search_issues']],
    ['denyListTools', 'jira', ALL],
    ['denyListServers', 'jira', ALL],
  ])('%s on %s lists %j', async (key, server, expected) => {
    expect(await toolNames(server, k(key))).toEqual(expected);
  });

  it.each([
    ['allowListServers', 'jira'],
    ['denyListServers', 'github'],
    ['denyAll', 'github'],
    ['disabled', 'github'],
    // Not permitted, so the key does not learn whether it exists.
    ['allowListServers', 'no-such-server'],
  ])('%s may not reach %s: 403 insufficient_scope', async (key, server) => {
    expect(await refusal(connect(server, k(key)))).toEqual({ status: 403, code: 'insufficient_scope' });
  });
});

describe('/mcp/:server tools/call', () => {
  it('an allowed tool answers through the gateway (JSON and SSE servers)', async () => {
    const github = await connect('github', k('allowListTools'));
    const found = await github.callTool({ name: 'search_issues', arguments: { query: 'flaky test' } });
    expect(found.content).toEqual([{ type: 'text', text: 'Found 2 issues matching "flaky test"' }]);
    const jira = await connect('jira', k('allowListTools'));
    const created = await jira.callTool({ name: 'create_issue', arguments: { title: 'Broken build' } });
    expect(created.content).toEqual([{ type: 'text', text: 'Created issue #42: Broken build' }]);
    await github.close();
    await jira.close();
  });

  it('a refused tool is 403 insufficient_scope and never reaches the server; a batch with one is refused whole', async () => {
    const client = await connect('github', k('denyListTools'));
    const before = upstream.requests.length;
    expect(await refusal(client.callTool({ name: 'delete_repo', arguments: { repo: 'acme/app' } }))).toEqual({
      status: 403,
      code: 'insufficient_scope',
    });
    expect(upstream.requests.length).toBe(before);
    // The session stays usable for what is allowed.
    const ok = await client.callTool({ name: 'create_issue', arguments: { title: 't' } });
    expect(ok.content).toEqual([{ type: 'text', text: 'Created issue #42: t' }]);

    const raw = await post(
      'github',
      [
        rpc(1, 'tools/call', { name: 'search_issues', arguments: { query: 'q' } }),
        rpc(2, 'tools/call', { name: 'delete_repo' }),
      ],
      { authorization: `Bearer ${k('denyListTools')}` },
    );
    expect(raw.status).toBe(403);
    expect(raw.json.error?.code).toBe('insufficient_scope');
    const calls = upstream.requests
      .slice(before)
      .filter((r) => JSON.stringify(r.body).includes('delete_repo'));
    expect(calls).toEqual([]);
    await client.close();
  });
});

describe('/mcp/:server refusals and transport', () => {
  it('unknown or disabled server: 404 not_found', async () => {
    expect(await refusal(connect('no-such-server', k('allowAll')))).toEqual({
      status: 404,
      code: 'not_found',
    });
    expect(await refusal(connect('off', k('allowAll')))).toEqual({ status: 404, code: 'not_found' });
  });

  it('bad, missing or inactive key: 401 with the gateway codes', async () => {
    expect(await refusal(connect('github', 'ptcl_not_a_real_key'))).toEqual({
      status: 401,
      code: 'invalid_api_key',
    });
    const none = await post('github', rpc(1, 'ping'), {});
    expect(none.status).toBe(401);
    expect(none.json.error?.code).toBe('invalid_api_key');
    expect(await refusal(connect('github', k('inactive')))).toEqual({ status: 401, code: 'key_inactive' });
  });

  it('malformed bodies are 400 invalid_request', async () => {
    const auth = { authorization: `Bearer ${k('allowAll')}` };
    const notJson = await fetch(`${served.url}/mcp/github`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{',
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    const text = await fetch(`${served.url}/mcp/github`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect(text.status).toBe(400);
  });

  it("sends the server's secret headers upstream, never the client's credentials or cookies", async () => {
    const before = upstream.requests.length;
    const res = await post(
      'github',
      rpc(1, 'initialize', {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      }),
      {
        authorization: `Bearer ${k('allowAll')}`,
        'x-api-key': k('allowAll'),
        cookie: 'dashboard_session=abc',
        'x-forwarded-for': '203.0.113.9',
      },
    );
    expect(res.status).toBe(200);
    const session = res.headers.get('mcp-session-id');
    expect(session).toMatch(/^[0-9a-f-]{36}$/);
    const seen = upstream.requests.slice(before);
    expect(seen).toHaveLength(1);
    const h = seen[0]?.headers ?? {};
    expect(h.authorization).toBe(UPSTREAM_AUTH);
    expect(h['x-tenant']).toBe('acme');
    expect(h['x-api-key']).toBeUndefined();
    expect(h.cookie).toBeUndefined();
    expect(h['x-forwarded-for']).toBeUndefined();
    expect(JSON.stringify(h)).not.toContain(k('allowAll').slice(5, 30));
    // No-header servers get no Authorization at all.
    await post(
      'jira',
      rpc(1, 'initialize', {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      }),
      {
        authorization: `Bearer ${k('allowAll')}`,
      },
    );
    expect(upstream.requests.at(-1)?.headers.authorization).toBeUndefined();

    // The session header passes both ways; DELETE ends the session (the server then answers 404).
    const auth = { authorization: `Bearer ${k('allowAll')}`, 'mcp-session-id': session ?? '' };
    const listed = await post('github', rpc(2, 'tools/list'), auth);
    expect(listed.status).toBe(200);
    expect(upstream.requests.at(-1)?.headers['mcp-session-id']).toBe(session);
    const del = await fetch(`${served.url}/mcp/github`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(200);
    expect((await post('github', rpc(3, 'tools/list'), auth)).status).toBe(404);
  });

  it('a server address this gateway does not allow is 502 upstream_error', async () => {
    const res = await post('internal', rpc(1, 'ping'), { authorization: `Bearer ${k('allowAll')}` });
    expect(res.status).toBe(502);
    expect(res.json.error?.code).toBe('upstream_error');
  });

  it('GET opens the server SSE stream through the gateway; a client that leaves aborts it upstream', async () => {
    const init = await post(
      'jira',
      rpc(1, 'initialize', {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      }),
      {
        authorization: `Bearer ${k('allowAll')}`,
      },
    );
    const session = init.headers.get('mcp-session-id') ?? '';
    const controller = new AbortController();
    const res = await fetch(`${served.url}/mcp/jira`, {
      headers: {
        authorization: `Bearer ${k('allowAll')}`,
        accept: 'text/event-stream',
        'mcp-session-id': session,
      },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain(': stream open');
    const upstreamGet = upstream.requests.findLast((r) => r.method === 'GET' && r.path === '/mcp-sse');
    expect(upstreamGet?.aborted).toBe(false);
    controller.abort();
    await reader.cancel().catch(() => {});
    // Wait (bounded) for the abort to travel: this asserts that it happens, not how fast.
    for (let i = 0; i < 100 && !upstreamGet?.aborted; i++) await sleep(50);
    expect(upstreamGet?.aborted).toBe(true);
  });
});
