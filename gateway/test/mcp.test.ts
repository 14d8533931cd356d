import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { seal } from '@portcullis/shared/crypto';
import type { SnapshotKey, SnapshotMcpServer } from '@portcullis/shared/snapshot';
import { type FakeUpstream, startFakeUpstream } from '@portcullis/testing/fake-upstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackUpstream, type ServedGateway, SnapshotBuilder, serveGateway, sleep } from './helpers.js';

// The gateway's /mcp/:server proxy on a real port, driven by the official MCP client, in front of the
// fake MCP server (JSON answers at /mcp, SSE answers at /mcp-sse) over real HTTP.

const UPSTREAM_AUTH = 'Bearer mcp-upstream-secret';
const ALL = ['create_issue', 'delete_repo', 'search_issues'];

let upstream: FakeUpstream;
let served: ServedGateway;
const keys: Record<string, string> = {};
const open: Client[] = [];

type Policy = SnapshotKey['mcp'];
const policy = (p: Partial<Policy>): { mcp: Policy } => ({
  mcp: { enabled: true, mode: 'allow_all', servers: [], tools: {}, ...p },
});
/** The same list for each of the servers this test reaches (github JSON, jira SSE, lax JSON and SSE). */
const SERVERS = ['github', 'jira', 'lax', 'laxsse'];
const each = <T>(value: T): Record<string, T> => Object.fromEntries(SERVERS.map((s) => [s, value]));

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
    // Servers that answer requests whatever their id (null included), as lax JSON-RPC libraries do.
    server('lax', '/mcp-lax', null),
    server('laxsse', '/mcp-lax-sse', null),
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
      disabled: { mcp: { enabled: false, mode: 'allow_all', servers: [], tools: {} } as Policy },
      // Tools restricted, no resource or prompt lists: those follow the tools (none).
      toolsOnly: policy({ mode: 'allow_list', servers: SERVERS, tools: each(['search_issues']) }),
      docsOnly: policy({
        mode: 'allow_list',
        servers: SERVERS,
        tools: each(['search_issues']),
        resources: each(['file:///docs/*']),
        prompts: each(['summarize', 'code_review']),
      }),
      denySecrets: policy({
        mode: 'deny_list',
        servers: SERVERS,
        resources: each(['file:///secrets/*']),
        prompts: each(['release_notes']),
      }),
      inactive: { ...policy({}), status: 'inactive' as const },
    }).map(async ([name, overrides]) => [name, (await b.key(overrides)).key] as const),
  );
  for (const [name, key] of made) keys[name] = key;
  served = await serveGateway({
    store: b.store({ mcpServers }),
    mcpUpstream: loopbackUpstream({}, 'MCP_ALLOWLIST'),
  });
}, 30_000);

afterAll(async () => {
  await Promise.all(open.map((c) => c.close().catch(() => {})));
  await served.close();
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

/** The raw client's `initialize` request. */
const INITIALIZE = rpc(1, 'initialize', {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 'raw', version: '1' },
});

async function post(server: string, body: unknown, headers: Record<string, string>) {
  return postText(server, JSON.stringify(body), headers);
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
    const res = await post('github', INITIALIZE, {
      authorization: `Bearer ${k('allowAll')}`,
      'x-api-key': k('allowAll'),
      cookie: 'dashboard_session=abc',
      'x-forwarded-for': '203.0.113.9',
    });
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
    await post('jira', INITIALIZE, {
      authorization: `Bearer ${k('allowAll')}`,
    });
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
    const init = await post('jira', INITIALIZE, {
      authorization: `Bearer ${k('allowAll')}`,
    });
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

/* ------------------------------------------------------------------------------------------------ */
/* The whole protocol: resources, prompts, completion, other methods, batches, ids, wire tricks.   */

const INIT = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } };
const auth = (key: string) => ({ authorization: `Bearer ${k(key)}` });
const msg = (id: unknown, method: string, params: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id,
  method,
  params,
});

/** A raw session on `server` for `key`: the headers later requests carry. */
async function session(server: string, key: string): Promise<Record<string, string>> {
  const res = await post(server, rpc(0, 'initialize', INIT), auth(key));
  expect(res.status).toBe(200);
  return { ...auth(key), 'mcp-session-id': res.headers.get('mcp-session-id') ?? '' };
}

/** POSTs a body as given (byte for byte), for shapes JSON.stringify cannot make. */
async function postText(server: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${served.url}/mcp/${server}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body,
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // SSE or empty
  }
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: json as { error?: { code: string; message: string } },
  };
}

/** The JSON-RPC messages of an answer body, JSON or SSE. */
function messagesOf(text: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const parsed = JSON.parse(trimmed) as unknown;
    return (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
  }
  return text
    .split(/\n\n/)
    .map((event) =>
      event
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .join('\n'),
    )
    .filter((data) => data.startsWith('{') || data.startsWith('['))
    .flatMap((data) => {
      const parsed = JSON.parse(data) as unknown;
      return (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
    });
}

/** The names (or uris) in the lists of every result in an answer. */
function listed(text: string, list: 'tools' | 'resources' | 'resourceTemplates' | 'prompts'): string[] {
  const field = list === 'resources' ? 'uri' : list === 'resourceTemplates' ? 'uriTemplate' : 'name';
  return messagesOf(text)
    .flatMap(
      (m) => ((m.result as Record<string, unknown> | undefined)?.[list] as Record<string, string>[]) ?? [],
    )
    .map((item) => item[field] as string)
    .sort();
}

/** Upstream requests since `before` whose body mentions `needle`. */
const reached = (before: number, needle: string) =>
  upstream.requests.slice(before).filter((r) => JSON.stringify(r.body).includes(needle));

const DOCS = ['file:///docs/changelog.md', 'file:///docs/readme.md'];
const ALL_RESOURCES = [...DOCS, 'file:///secrets/prod.env'];

describe('/mcp/:server resources and prompts lists are filtered (official client, JSON and SSE servers)', () => {
  it.each([
    ['allowAll', 'github', ALL_RESOURCES],
    ['allowAll', 'jira', ALL_RESOURCES],
    ['toolsOnly', 'github', []], // tools restricted, no resource list: none
    ['toolsOnly', 'jira', []],
    ['docsOnly', 'github', DOCS],
    ['docsOnly', 'jira', DOCS],
    ['denySecrets', 'github', DOCS],
    ['denySecrets', 'jira', DOCS],
    ['allowListServers', 'github', ALL_RESOURCES], // no lists at all: everything
  ])('%s on %s: resources/list shows %j', async (key, server, expected) => {
    const client = await connect(server, k(key));
    expect((await client.listResources()).resources.map((r) => r.uri).sort()).toEqual(expected);
    await client.close();
  });

  it.each([
    ['allowAll', 'jira', ['file:///docs/{name}', 'file:///secrets/{name}', 'file:///{+path}']],
    ['toolsOnly', 'github', []],
    // file:///{+path} can produce secrets: hidden from both.
    ['docsOnly', 'jira', ['file:///docs/{name}']],
    ['denySecrets', 'github', ['file:///docs/{name}']],
  ])('%s on %s: resources/templates/list shows %j', async (key, server, expected) => {
    const client = await connect(server, k(key));
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual([...expected].sort());
    await client.close();
  });

  it.each([
    ['allowAll', 'github', ['code_review', 'release_notes', 'summarize']],
    ['toolsOnly', 'jira', []],
    ['docsOnly', 'github', ['code_review', 'summarize']],
    ['denySecrets', 'jira', ['code_review', 'summarize']],
  ])('%s on %s: prompts/list shows %j', async (key, server, expected) => {
    const client = await connect(server, k(key));
    expect((await client.listPrompts()).prompts.map((p) => p.name).sort()).toEqual(expected);
    await client.close();
  });
});

describe('/mcp/:server refuses what the key may not use, method by method', () => {
  it('resources/read: a resource outside the lists is 403 and never reaches the server; one inside is read', async () => {
    for (const server of ['github', 'jira']) {
      const client = await connect(server, k('docsOnly'));
      const before = upstream.requests.length;
      expect(await refusal(client.readResource({ uri: 'file:///secrets/prod.env' }))).toEqual({
        status: 403,
        code: 'insufficient_scope',
      });
      expect(reached(before, 'secrets')).toEqual([]);
      const doc = await client.readResource({ uri: 'file:///docs/readme.md' });
      expect(doc.contents).toEqual([
        { uri: 'file:///docs/readme.md', mimeType: 'text/markdown', text: '# Acme\nThe readme.' },
      ]);
      await client.close();
    }
    const deny = await connect('github', k('denySecrets'));
    expect(await refusal(deny.readResource({ uri: 'file:///secrets/prod.env' }))).toMatchObject({
      status: 403,
    });
    const toolsOnly = await connect('github', k('toolsOnly'));
    expect(await refusal(toolsOnly.readResource({ uri: 'file:///docs/readme.md' }))).toMatchObject({
      status: 403,
    });
    await deny.close();
    await toolsOnly.close();
  });

  it.each([
    ['a dot segment', 'file:///docs/../secrets/prod.env', 'docsOnly'],
    ['a %-encoded dot segment', 'file:///docs/%2e%2e/secrets/prod.env', 'docsOnly'],
    ['%-encoded letters', 'file:///s%65crets/prod.env', 'denySecrets'],
    ['an upper-case scheme', 'FILE:///secrets/prod.env', 'denySecrets'],
    ['a dot segment under a deny list', 'file:///docs/../secrets/prod.env', 'denySecrets'],
  ])(
    'resources/read of a secret spelled with %s is refused (the server would resolve it)',
    async (_what, uri, key) => {
      // The server really does resolve it: an unrestricted key reads the secret this way.
      const open_ = await connect('github', k('allowAll'));
      expect(JSON.stringify((await open_.readResource({ uri })).contents)).toContain(
        'fake-production-secret',
      );
      await open_.close();
      const client = await connect('github', k(key));
      const before = upstream.requests.length;
      expect(await refusal(client.readResource({ uri }))).toEqual({
        status: 403,
        code: 'insufficient_scope',
      });
      expect(upstream.requests.length).toBe(before);
      await client.close();
    },
  );

  it('resources/subscribe and unsubscribe follow the resource lists', async () => {
    const client = await connect('jira', k('docsOnly'));
    await expect(client.subscribeResource({ uri: 'file:///docs/readme.md' })).resolves.toEqual({});
    await expect(client.unsubscribeResource({ uri: 'file:///docs/readme.md' })).resolves.toEqual({});
    expect(await refusal(client.subscribeResource({ uri: 'file:///secrets/prod.env' }))).toMatchObject({
      status: 403,
    });
    expect(await refusal(client.unsubscribeResource({ uri: 'file:///secrets/prod.env' }))).toMatchObject({
      status: 403,
    });
    await client.close();
  });

  it('prompts/get follows the prompt lists', async () => {
    for (const key of ['docsOnly', 'denySecrets']) {
      const client = await connect('github', k(key));
      const got = await client.getPrompt({ name: 'summarize', arguments: { text: 'long' } });
      expect(got.messages[0]?.content).toEqual({ type: 'text', text: 'Summarize:\nlong' });
      const before = upstream.requests.length;
      expect(await refusal(client.getPrompt({ name: 'release_notes' }))).toEqual({
        status: 403,
        code: 'insufficient_scope',
      });
      expect(upstream.requests.length).toBe(before);
      await client.close();
    }
    const toolsOnly = await connect('jira', k('toolsOnly'));
    expect(await refusal(toolsOnly.getPrompt({ name: 'summarize', arguments: { text: 'x' } }))).toMatchObject(
      {
        status: 403,
      },
    );
    await toolsOnly.close();
  });

  it('completion/complete: a prompt or resource template the key may not use is refused', async () => {
    const client = await connect('github', k('docsOnly'));
    const ok = await client.complete({
      ref: { type: 'ref/resource', uri: 'file:///docs/{name}' },
      argument: { name: 'name', value: 'r' },
    });
    expect(ok.completion.values).toEqual(['readme.md']);
    const lang = await client.complete({
      ref: { type: 'ref/prompt', name: 'code_review' },
      argument: { name: 'language', value: 'ty' },
    });
    expect(lang.completion.values).toEqual(['typescript']);
    for (const ref of [
      { type: 'ref/resource', uri: 'file:///secrets/{name}' },
      { type: 'ref/resource', uri: 'file:///{+path}' },
      { type: 'ref/prompt', name: 'release_notes' },
    ] as const) {
      expect(await refusal(client.complete({ ref, argument: { name: 'name', value: '' } }))).toEqual({
        status: 403,
        code: 'insufficient_scope',
      });
    }
    // An unknown ref type cannot be checked: refused where anything is restricted.
    const h = await session('github', 'docsOnly');
    const odd = await post(
      'github',
      rpc(5, 'completion/complete', {
        ref: { type: 'ref/other', name: 'x' },
        argument: { name: 'a', value: '' },
      }),
      h,
    );
    expect(odd.status).toBe(403);
    await client.close();
  });

  it('initialize, ping, logging/setLevel, notifications and responses pass; other methods only where nothing is restricted', async () => {
    const client = await connect('jira', k('toolsOnly'));
    await expect(client.ping()).resolves.toEqual({});
    await expect(client.setLoggingLevel('warning')).resolves.toEqual({});
    await client.close();

    const h = await session('github', 'toolsOnly');
    const note = await post(
      'github',
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9 } },
      h,
    );
    expect(note.status).toBe(202);
    const response = await post('github', { jsonrpc: '2.0', id: 'srv-1', result: {} }, h);
    expect(response.status).toBe(202);
    for (const method of ['sampling/createMessage', 'Tools/Call', 'tools/call ', 'custom/export']) {
      const before = upstream.requests.length;
      const refused = await post('github', rpc(7, method, { name: 'delete_repo' }), h);
      expect(refused.status).toBe(403);
      expect(refused.json.error?.code).toBe('insufficient_scope');
      expect(upstream.requests.length).toBe(before);
    }
    // The same unknown method with a key that may use everything: the server answers it.
    const all = await session('github', 'allowAll');
    const passed = await post('github', rpc(8, 'custom/export'), all);
    expect(passed.status).toBe(200);
    expect(messagesOf(passed.text)[0]?.error).toMatchObject({ code: -32601 });
  });
});

describe('/mcp/:server filters list answers by shape, whatever the request id', () => {
  it.each([
    ['null', null],
    ['an object', { n: 1 }],
    ['true', true],
    ['a fraction', 1.5],
  ])(
    'tools/list, resources/list and prompts/list with id %s are filtered (JSON and SSE answers)',
    async (_what, id) => {
      for (const server of ['lax', 'laxsse']) {
        const h = await session(server, 'docsOnly');
        const tools = await post(server, msg(id, 'tools/list'), h);
        expect(tools.status).toBe(200);
        expect(listed(tools.text, 'tools')).toEqual(['search_issues']);
        const resources = await post(server, msg(id, 'resources/list'), h);
        expect(listed(resources.text, 'resources')).toEqual(DOCS);
        const templates = await post(server, msg(id, 'resources/templates/list'), h);
        expect(listed(templates.text, 'resourceTemplates')).toEqual(['file:///docs/{name}']);
        const prompts = await post(server, msg(id, 'prompts/list'), h);
        expect(listed(prompts.text, 'prompts')).toEqual(['code_review', 'summarize']);
      }
    },
  );

  it('a batch of lists with repeated and odd ids is filtered entry by entry', async () => {
    const h = await session('lax', 'toolsOnly');
    const res = await post(
      'lax',
      [msg(1, 'tools/list'), msg(1, 'resources/list'), msg(null, 'prompts/list')],
      h,
    );
    expect(res.status).toBe(200);
    expect(listed(res.text, 'tools')).toEqual(['search_issues']);
    expect(listed(res.text, 'resources')).toEqual([]);
    expect(listed(res.text, 'prompts')).toEqual([]);
  });

  it('a resumed GET stream (Last-Event-ID) replays answers filtered too', async () => {
    const h = await session('jira', 'docsOnly');
    // The POST answers are filtered on their way out; the server keeps its own copies of the events.
    for (const method of ['tools/list', 'resources/list', 'resources/templates/list', 'prompts/list'])
      expect((await post('jira', rpc(3, method), h)).status).toBe(200);
    const controller = new AbortController();
    const res = await fetch(`${served.url}/mcp/jira`, {
      headers: { ...h, accept: 'text/event-stream', 'last-event-id': '0' },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (listed(text, 'prompts').length === 0) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    controller.abort();
    await reader.cancel().catch(() => {});
    expect(listed(text, 'tools')).toEqual(['search_issues']);
    expect(listed(text, 'resources')).toEqual(DOCS);
    expect(listed(text, 'resourceTemplates')).toEqual(['file:///docs/{name}']);
    expect(listed(text, 'prompts')).toEqual(['code_review', 'summarize']);
    expect(text).not.toContain('secrets');
  });
});

describe('/mcp/:server batches and bodies', () => {
  it.each([
    [
      'a nested batch',
      [[rpc(1, 'tools/call', { name: 'delete_repo', arguments: { repo: 'x' } })]],
      'entry 0',
    ],
    ['a string entry', [rpc(1, 'ping'), 'tools/call'], 'entry 1'],
    ['a null entry', [null, rpc(1, 'ping')], 'entry 0'],
    ['a number entry', [rpc(1, 'ping'), rpc(2, 'ping'), 3], 'entry 2'],
    ['an empty batch', [], 'empty'],
    ['a string body', 'tools/call', 'JSON-RPC'],
    ['an object neither request nor response', { jsonrpc: '2.0', id: 1, params: {} }, 'JSON-RPC'],
    ['a method that is not a string', { jsonrpc: '2.0', id: 1, method: ['tools/call'] }, 'method'],
    [
      'a response carrying a method in another case',
      { jsonrpc: '2.0', id: 1, result: {}, Method: 'tools/call', params: { name: 'delete_repo' } },
      'JSON-RPC',
    ],
    ['tools/call without a name', rpc(1, 'tools/call', {}), 'name'],
    ['resources/read without a uri', rpc(1, 'resources/read', { url: 'file:///docs/readme.md' }), 'uri'],
    ['prompts/get with a numeric name', rpc(1, 'prompts/get', { name: 1 }), 'name'],
  ])('%s is 400 invalid_request naming it, and nothing reaches the server', async (_what, body, mention) => {
    for (const key of ['toolsOnly', 'allowAll']) {
      const h = await session('github', key);
      const before = upstream.requests.length;
      const res = await post('github', body, h);
      expect(res.status).toBe(400);
      expect(res.json.error?.code).toBe('invalid_request');
      expect(res.json.error?.message).toContain(mention);
      expect(upstream.requests.length).toBe(before);
    }
  });

  it('a batch with one refused entry is refused whole, whatever kind the entry is', async () => {
    const h = await session('github', 'docsOnly');
    for (const bad of [
      rpc(2, 'resources/read', { uri: 'file:///secrets/prod.env' }),
      rpc(2, 'prompts/get', { name: 'release_notes' }),
      rpc(2, 'tools/call', { name: 'delete_repo', arguments: { repo: 'x' } }),
      rpc(2, 'custom/export'),
    ]) {
      const before = upstream.requests.length;
      const res = await post('github', [rpc(1, 'resources/list'), bad, rpc(3, 'ping')], h);
      expect(res.status).toBe(403);
      expect(res.json.error?.code).toBe('insufficient_scope');
      expect(upstream.requests.length).toBe(before);
    }
  });

  it.each([
    [
      'method, the first one refused',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_repo","arguments":{"repo":"x"}},"method":"tools/list"}',
    ],
    [
      'a nested name',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_repo","name":"search_issues","arguments":{}}}',
    ],
    [
      'a key spelled with escapes',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"n\\u0061me":"delete_repo","name":"search_issues"}}',
    ],
    [
      'name in another case (Go decoders match keys ignoring case)',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_issues","NAME":"delete_repo"}}',
    ],
    [
      'params spelled with a long s (Go folds it to S)',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_issues"},"param\\u017f":{"name":"delete_repo"}}',
    ],
    [
      'a resource uri inside a batch',
      '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"file:///secrets/prod.env","uri":"file:///docs/readme.md"}}]',
    ],
  ])('a body repeating a key (%s) is 400 invalid_request and never forwarded', async (_what, body) => {
    const h = await session('github', 'docsOnly');
    const before = upstream.requests.length;
    const res = await postText('github', body, h);
    expect(res.status).toBe(400);
    expect(res.json.error?.code).toBe('invalid_request');
    expect(res.json.error?.message).toContain('repeats');
    expect(upstream.requests.length).toBe(before);
  });

  it('a charset other than UTF-8 is 400 invalid_request (the body is checked as UTF-8), UTF-8 passes', async () => {
    const h = await session('github', 'docsOnly');
    // In UTF-7, +ACI- is a quote: a server honouring the charset would read a second "method" key here.
    const body =
      '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"+ACIAfQAsACI-method+ACIAOgAi-tools/call"}}';
    for (const charset of [
      'utf-7',
      'UTF-16',
      '"iso-8859-1"',
      'utf-8; charset=utf-7',
      'utf-8x',
      "utf-8; charset*=utf-7''",
    ]) {
      const before = upstream.requests.length;
      const res = await postText('github', body, {
        ...h,
        'content-type': `application/json; charset=${charset}`,
      });
      expect(res.status).toBe(400);
      expect(res.json.error?.code).toBe('invalid_request');
      expect(upstream.requests.length).toBe(before);
    }
    for (const charset of ['utf-8', 'UTF-8', '"utf-8"', 'utf8', 'utf-8; profile=x']) {
      const res = await postText('github', body, {
        ...h,
        'content-type': `application/json;charset=${charset}`,
      });
      expect(res.status).toBe(200);
    }
  });
});
