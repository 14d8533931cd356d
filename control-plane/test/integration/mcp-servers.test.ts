import { execFileSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { open, parseKey32 } from '@portcullis/shared/crypto';
import { parseSnapshot, type SnapshotChange } from '@portcullis/shared/snapshot';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  api,
  createKey,
  type ErrorBody,
  logThrough,
  newOrg,
  newOrgWithMember,
  type Page,
  type SignedIn,
  seenBodies,
  unique,
} from './client';
import { withDb } from './db';
import { TEST_MASTER_KEY } from './global-setup';

interface McpServer {
  id: string;
  name: string;
  url: string;
  description: string | null;
  headerNames: string[];
  tools: { name: string; description?: string }[];
  enabled: boolean;
  usedBy: { type: string; id: string; name: string }[];
  createdAt: string;
  updatedAt: string;
}

let orgId: string;
let admin: SignedIn;
let member: SignedIn;
const servers = (org = orgId) => `/api/v1/orgs/${org}/mcp-servers`;
const fields = (res: { body: unknown }) => ((res.body as ErrorBody).error?.details ?? []).map((d) => d.field);
/** A server name (lowercase slug) that no other test uses. */
const slug = (prefix: string) => unique(prefix).toLowerCase();

async function createServer_(body: Record<string, unknown> = {}, token = admin.token): Promise<McpServer> {
  const res = await api<McpServer>('POST', servers(), {
    token,
    body: { name: slug('mcp'), url: 'http://127.0.0.1:9/mcp', ...body },
  });
  if (res.status !== 201) throw new Error(`MCP server create failed: ${res.status} ${res.text}`);
  return res.body;
}

const version = (org = orgId) =>
  withDb(async (c) =>
    Number(
      (await c.query('SELECT snapshot_version FROM organizations WHERE id = $1', [org])).rows[0]
        .snapshot_version,
    ),
  );
const lastChanges = (org = orgId) =>
  withDb(
    async (c) =>
      (
        await c.query(
          'SELECT to_version, changes FROM snapshot_outbox WHERE org_id = $1 ORDER BY id DESC LIMIT 1',
          [org],
        )
      ).rows[0] as { to_version: string; changes: SnapshotChange[] },
  );

beforeAll(async () => {
  ({ orgId, admin, member } = await newOrgWithMember());
});

describe('MCP servers', () => {
  it('create, list, get, edit, delete; header values never come back and are sealed at rest', async () => {
    seenBodies.length = 0;
    const headerSecret = `Bearer ghp-${'Qx7'.repeat(12)}END`;
    const created = await createServer_({
      name: 'github',
      url: 'https://mcp.example.com/mcp',
      description: 'GitHub tools',
      headers: { Authorization: headerSecret, 'X-Team': 'platform-secret-team' },
      tools: [{ name: 'search_issues', description: 'Search issues' }, { name: 'delete_repo' }],
    });
    expect(created).toMatchObject({
      name: 'github',
      url: 'https://mcp.example.com/mcp',
      description: 'GitHub tools',
      headerNames: ['Authorization', 'X-Team'],
      tools: [{ name: 'search_issues', description: 'Search issues' }, { name: 'delete_repo' }],
      enabled: true,
      usedBy: [],
    });
    expect(Object.keys(created).sort()).toEqual(
      [
        'createdAt',
        'description',
        'enabled',
        'headerNames',
        'id',
        'name',
        'tools',
        'updatedAt',
        'url',
        'usedBy',
      ].sort(),
    );

    const listed = await api<Page<McpServer>>('GET', servers(), { token: admin.token });
    expect(listed.status).toBe(200);
    expect(listed.body.nextCursor).toBeNull();
    expect(listed.body.data.find((s) => s.id === created.id)).toEqual(created);
    const got = await api<McpServer>('GET', `${servers()}/${created.id}`, { token: admin.token });
    expect(got.body).toEqual(created);

    const edited = await api<McpServer>('PATCH', `${servers()}/${created.id}`, {
      token: admin.token,
      body: {
        name: 'github-eu',
        url: 'https://eu.mcp.example.com/mcp',
        description: null,
        enabled: false,
        tools: [{ name: 'create_issue' }],
        headers: { Authorization: `${headerSecret}-2` },
      },
    });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body).toMatchObject({
      name: 'github-eu',
      url: 'https://eu.mcp.example.com/mcp',
      description: null,
      enabled: false,
      tools: [{ name: 'create_issue' }],
      headerNames: ['Authorization'], // replaced, not merged
    });
    // Headers left out stay as they were.
    const renamedOnly = await api<McpServer>('PATCH', `${servers()}/${created.id}`, {
      token: admin.token,
      body: { enabled: true },
    });
    expect(renamedOnly.body.headerNames).toEqual(['Authorization']);
    const last = await api('GET', `/api/v1/orgs/${orgId}/audit-events?limit=200`, { token: admin.token });

    // No response body ever carried a header value.
    expect(seenBodies.filter((b) => b.includes('Qx7Qx7'))).toEqual([]);
    expect(seenBodies.filter((b) => b.includes('platform-secret-team'))).toEqual([]);

    // At rest: ciphertext that opens with the master key and this server's id.
    const dump = execFileSync('pg_dump', ['--data-only', '--no-owner', inject('databaseUrl')], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(dump).toContain(created.id);
    expect(dump).not.toContain('Qx7Qx7');
    expect(dump).not.toContain('platform-secret-team');
    const sealed = await withDb(
      async (c) =>
        (await c.query('SELECT headers_sealed FROM mcp_servers WHERE id = $1', [created.id])).rows[0]
          .headers_sealed as string,
    );
    const master = parseKey32(TEST_MASTER_KEY) as Buffer;
    expect(JSON.parse(open(master, sealed, created.id))).toEqual({ Authorization: `${headerSecret}-2` });
    expect(() => open(master, sealed, 'another-server')).toThrow();

    const logs = await logThrough(last);
    expect(logs).not.toContain('Qx7Qx7');

    // `headers: {}` removes them all.
    const cleared = await api<McpServer>('PATCH', `${servers()}/${created.id}`, {
      token: admin.token,
      body: { headers: {} },
    });
    expect(cleared.body.headerNames).toEqual([]);

    expect((await api('DELETE', `${servers()}/${created.id}`, { token: admin.token })).status).toBe(204);
    expect((await api('GET', `${servers()}/${created.id}`, { token: admin.token })).status).toBe(404);
    expect((await api('DELETE', `${servers()}/${created.id}`, { token: admin.token })).status).toBe(404);
  });

  it('bad input is a 400 naming each field; a taken name is a 409', async () => {
    const bad = await api<ErrorBody>('POST', servers(), {
      token: admin.token,
      body: {
        name: 'Has Spaces',
        url: 'ftp://example.com',
        headers: { 'Mcp-Session-Id': 'x', 'Bad Header': 'y' },
        tools: [{ name: '' }],
        enabled: 'yes',
        colour: 'red',
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect([...new Set(fields(bad))].sort()).toEqual(
      [
        'colour',
        'enabled',
        'headers.Bad Header',
        'headers.Mcp-Session-Id',
        'name',
        'tools.0.name',
        'url',
      ].sort(),
    );
    const missing = await api<ErrorBody>('POST', servers(), { token: admin.token, body: {} });
    expect(fields(missing)).toEqual(['name', 'url']);
    const long = await api<ErrorBody>('POST', servers(), {
      token: admin.token,
      body: { name: 'a'.repeat(65), url: 'https://mcp.example.com' },
    });
    expect(fields(long)).toEqual(['name']);

    const first = await createServer_();
    const taken = await api<ErrorBody>('POST', servers(), {
      token: admin.token,
      body: { name: first.name, url: 'https://mcp.example.com' },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('conflict');
    expect(fields(taken)).toEqual(['name']);
    const second = await createServer_();
    const renameTaken = await api<ErrorBody>('PATCH', `${servers()}/${second.id}`, {
      token: admin.token,
      body: { name: first.name },
    });
    expect(renameTaken.status).toBe(409);
    expect(fields(renameTaken)).toEqual(['name']);
    const empty = await api<ErrorBody>('PATCH', `${servers()}/${second.id}`, {
      token: admin.token,
      body: {},
    });
    expect(empty.status).toBe(400);
    const notUuid = await api<ErrorBody>('GET', `${servers()}/github`, { token: admin.token });
    expect(notUuid.status).toBe(404);
  });

  it('refuses URLs the SSRF guard refuses (private, link-local), on create and on edit', async () => {
    for (const url of ['http://169.254.169.254/mcp', 'http://10.1.2.3/mcp', 'http://[::1]:8080/mcp']) {
      const res = await api<ErrorBody>('POST', servers(), {
        token: admin.token,
        body: { name: slug('ssrf'), url },
      });
      expect(res.status, url).toBe(400);
      expect(fields(res)).toEqual(['url']);
    }
    const ok = await createServer_({ url: 'http://127.0.0.1:9/mcp' }); // allowlisted loopback
    const edit = await api<ErrorBody>('PATCH', `${servers()}/${ok.id}`, {
      token: admin.token,
      body: { url: 'http://192.168.0.10/mcp' },
    });
    expect(edit.status).toBe(400);
    expect(fields(edit)).toEqual(['url']);
    expect((await api<McpServer>('GET', `${servers()}/${ok.id}`, { token: admin.token })).body.url).toBe(
      'http://127.0.0.1:9/mcp',
    );
  });

  it('members may list and read; only admins write; anonymous callers get 401', async () => {
    const s = await createServer_({ headers: { Authorization: 'Bearer member-must-not-see' } });
    const list = await api<Page<McpServer>>('GET', servers(), { token: member.token });
    expect(list.status).toBe(200);
    expect(list.body.data.map((x) => x.id)).toContain(s.id);
    const one = await api<McpServer>('GET', `${servers()}/${s.id}`, { token: member.token });
    expect(one.status).toBe(200);
    expect(one.text).not.toContain('member-must-not-see');
    // Where the server is and which headers it takes are for admins (ssrf-allowlists.test.ts).
    expect(one.body).not.toHaveProperty('headerNames');
    expect(one.body).not.toHaveProperty('url');
    const writes = [
      await api<ErrorBody>('POST', servers(), {
        token: member.token,
        body: { name: slug('m'), url: 'https://mcp.example.com' },
      }),
      await api<ErrorBody>('PATCH', `${servers()}/${s.id}`, {
        token: member.token,
        body: { enabled: false },
      }),
      await api<ErrorBody>('DELETE', `${servers()}/${s.id}`, { token: member.token }),
    ];
    expect(writes.map((w) => w.status)).toEqual([403, 403, 403]);
    expect(writes.map((w) => w.body.error.code)).toEqual(['forbidden', 'forbidden', 'forbidden']);
    expect((await api<McpServer>('GET', `${servers()}/${s.id}`, { token: admin.token })).body.enabled).toBe(
      true,
    );
    for (const [method, path] of [
      ['GET', servers()],
      ['POST', servers()],
      ['GET', `${servers()}/${s.id}`],
      ['PATCH', `${servers()}/${s.id}`],
      ['DELETE', `${servers()}/${s.id}`],
    ] as const) {
      expect(
        (await api(method, path, { body: method === 'GET' ? undefined : {} })).status,
        `${method} ${path}`,
      ).toBe(401);
    }
  });

  it("another organization's servers are 404 and never listed", async () => {
    const other = await newOrg();
    const theirs = (
      await api<McpServer>('POST', servers(other.orgId), {
        token: other.admin.token,
        body: { name: 'theirs', url: 'https://mcp.example.com' },
      })
    ).body;
    const mine = await createServer_();
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { enabled: false }],
      ['DELETE', undefined],
    ] as const) {
      // Through my organization's path …
      const res = await api<ErrorBody>(method, `${servers()}/${theirs.id}`, { token: admin.token, body });
      expect(res.status, method).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      // … and through theirs, where I am nobody.
      expect(
        (await api(method, `${servers(other.orgId)}/${theirs.id}`, { token: admin.token, body })).status,
      ).toBe(404);
    }
    expect((await api('GET', servers(other.orgId), { token: admin.token })).status).toBe(404);
    const list = await api<Page<McpServer>>('GET', servers(), { token: admin.token });
    expect(list.body.data.map((s) => s.id)).not.toContain(theirs.id);
    const theirList = await api<Page<McpServer>>('GET', servers(other.orgId), { token: other.admin.token });
    expect(theirList.body.data.map((s) => s.id)).toEqual([theirs.id]);
    expect(theirList.body.data.map((s) => s.id)).not.toContain(mine.id);
    // Same name in two organizations is fine.
    expect((await createServer_({ name: 'theirs' })).name).toBe('theirs');
  });

  it('usedBy lists live keys naming the server; renaming such a server or deleting it without force is a 409', async () => {
    const s = await createServer_();
    const allow = await createKey(orgId, admin.token, {
      name: 'allow key',
      mcp: { enabled: true, mode: 'allow_list', servers: [s.name], tools: { [s.name]: ['search_issues'] } },
    });
    const deny = await createKey(orgId, admin.token, {
      name: 'deny key',
      mcp: { enabled: true, mode: 'deny_list', servers: [s.name, 'not-created-yet'] },
    });
    const revoked = await createKey(orgId, admin.token, {
      name: 'revoked key',
      mcp: { enabled: true, mode: 'allow_list', servers: [s.name] },
    });
    await api('POST', `/api/v1/orgs/${orgId}/keys/${revoked.key.id}/revoke`, { token: admin.token });
    await createKey(orgId, admin.token, { name: 'unrelated key' });

    const got = await api<McpServer>('GET', `${servers()}/${s.id}`, { token: admin.token });
    expect(got.body.usedBy).toEqual([
      { type: 'key', id: allow.key.id, name: 'allow key' },
      { type: 'key', id: deny.key.id, name: 'deny key' },
    ]);
    const listed = await api<Page<McpServer>>('GET', servers(), { token: admin.token });
    expect(listed.body.data.find((x) => x.id === s.id)?.usedBy.map((u) => u.id)).toEqual([
      allow.key.id,
      deny.key.id,
    ]);

    const rename = await api<ErrorBody>('PATCH', `${servers()}/${s.id}`, {
      token: admin.token,
      body: { name: slug('renamed') },
    });
    expect(rename.status).toBe(409);
    expect(rename.body.error.details?.map((d) => d.message)).toEqual([
      `key allow key (${allow.key.id})`,
      `key deny key (${deny.key.id})`,
    ]);
    // Other edits are fine, and so is "renaming" to the same name.
    const same = await api<McpServer>('PATCH', `${servers()}/${s.id}`, {
      token: admin.token,
      body: { name: s.name, description: 'still here' },
    });
    expect(same.status).toBe(200);

    const del = await api<ErrorBody>('DELETE', `${servers()}/${s.id}`, { token: admin.token });
    expect(del.status).toBe(409);
    expect(fields(del)).toEqual(['usedBy', 'usedBy']);
    expect((await api('GET', `${servers()}/${s.id}`, { token: admin.token })).status).toBe(200);
    expect((await api('DELETE', `${servers()}/${s.id}?force=maybe`, { token: admin.token })).status).toBe(
      400,
    );
    expect((await api('DELETE', `${servers()}/${s.id}?force=true`, { token: admin.token })).status).toBe(204);
    // The keys keep naming it (names bind late): recreating it gives them back the same policy.
    const key = await api<{ mcp: { servers: string[] } }>(
      'GET',
      `/api/v1/orgs/${orgId}/keys/${allow.key.id}`,
      {
        token: admin.token,
      },
    );
    expect(key.body.mcp.servers).toEqual([s.name]);
    const again = await createServer_({ name: s.name });
    expect(again.usedBy.map((u) => u.id)).toEqual([allow.key.id, deny.key.id]);
  });

  it('audits every change without header values, and the chain verifies', async () => {
    const s = await createServer_({ headers: { Authorization: 'Bearer AUDITSECRETVALUE-1' } });
    await api('PATCH', `${servers()}/${s.id}`, {
      token: admin.token,
      body: { headers: { Authorization: 'Bearer AUDITSECRETVALUE-2' }, enabled: false },
    });
    await api('DELETE', `${servers()}/${s.id}`, { token: admin.token });
    const audit = await api<
      Page<{ action: string; target: { type: string; id: string }; before: unknown; after: unknown }>
    >('GET', `/api/v1/orgs/${orgId}/audit-events?targetId=${s.id}`, { token: admin.token });
    expect(audit.body.data.map((e) => e.action)).toEqual([
      'mcp_server.deleted',
      'mcp_server.updated',
      'mcp_server.created',
    ]);
    expect(audit.body.data[0]?.target).toMatchObject({ type: 'mcp_server', id: s.id });
    expect(audit.body.data[1]?.after).toMatchObject({ enabled: false, headersReplaced: true });
    expect(audit.text).not.toContain('AUDITSECRETVALUE');
    const verify = await api<{ ok: boolean }>('GET', `/api/v1/orgs/${orgId}/audit-events/verify`, {
      token: admin.token,
    });
    expect(verify.body.ok).toBe(true);
  });

  it('every change bumps the snapshot version with an MCP change op; refusals bump nothing', async () => {
    const v0 = await version();
    const s = await createServer_({ headers: { Authorization: 'Bearer SNAPSHOT-HEADER' } });
    expect(await version()).toBe(v0 + 1);
    const created = await lastChanges();
    expect(Number(created.to_version)).toBe(v0 + 1);
    expect(created.changes).toEqual([
      {
        op: 'upsert_mcp_server',
        value: {
          id: s.id,
          name: s.name,
          url: s.url,
          enabled: true,
          sealedHeaders: expect.stringMatching(/^v1\./),
        },
      },
    ]);
    expect(JSON.stringify(created.changes)).not.toContain('SNAPSHOT-HEADER');

    await api('PATCH', `${servers()}/${s.id}`, { token: admin.token, body: { enabled: false } });
    expect(await version()).toBe(v0 + 2);
    expect((await lastChanges()).changes).toMatchObject([
      { op: 'upsert_mcp_server', value: { id: s.id, enabled: false } },
    ]);

    // Refused: member write, bad body, SSRF, taken name.
    await api('PATCH', `${servers()}/${s.id}`, { token: member.token, body: { enabled: true } });
    await api('PATCH', `${servers()}/${s.id}`, { token: admin.token, body: { name: 'BAD' } });
    await api('PATCH', `${servers()}/${s.id}`, { token: admin.token, body: { url: 'http://10.0.0.1/' } });
    await api('POST', servers(), {
      token: admin.token,
      body: { name: s.name, url: 'https://mcp.example.com' },
    });
    expect(await version()).toBe(v0 + 2);

    // Gateways get it in the full snapshot, its headers opening with the organization's snapshot key.
    const gw = await api<{ token: string }>('POST', `/api/v1/orgs/${orgId}/gateway-tokens`, {
      token: admin.token,
      body: { name: unique('edge') },
    });
    const reg = await api<{ snapshotKey: string }>('POST', '/api/v1/gateway/register', {
      token: gw.body.token,
      body: { instanceId: 'mcp-test' },
    });
    const snapshotKey = Buffer.from(reg.body.snapshotKey, 'base64url');
    const snap = await api<unknown>('GET', '/api/v1/gateway/snapshot', { token: gw.body.token });
    expect(snap.text).not.toContain('SNAPSHOT-HEADER');
    const parsed = parseSnapshot(snap.body);
    expect(parsed.version).toBe(await version());
    const inSnapshot = parsed.mcpServers?.find((m) => m.id === s.id);
    expect(inSnapshot).toMatchObject({ name: s.name, url: s.url, enabled: false });
    expect(JSON.parse(open(snapshotKey, inSnapshot?.sealedHeaders ?? '', s.id))).toEqual({
      Authorization: 'Bearer SNAPSHOT-HEADER',
    });
    const open1 = parsed.mcpServers?.filter((m) => m.sealedHeaders === null) ?? [];
    expect(open1.length).toBeGreaterThan(0); // servers without headers travel with null

    const vBefore = await version();
    await api('DELETE', `${servers()}/${s.id}`, { token: admin.token });
    expect(await version()).toBe(vBefore + 1);
    expect((await lastChanges()).changes).toEqual([{ op: 'delete_mcp_server', id: s.id }]);
  });

  it('refresh-tools reads the catalog from the server itself (JSON and SSE answers, pages), with its headers', async () => {
    const seen: {
      method: string;
      headers: IncomingHttpHeaders;
      body: { method?: string; params?: { cursor?: string } };
    }[] = [];
    const fake = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => {
        text += c.toString();
      });
      req.on('end', () => {
        const body = text ? JSON.parse(text) : {};
        seen.push({ method: req.method ?? '', headers: req.headers, body });
        if (req.method === 'DELETE') return res.writeHead(200).end();
        const reply = (result: unknown) => ({ jsonrpc: '2.0', id: body.id, result });
        if (body.method === 'initialize') {
          res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'sess-1' });
          return res.end(
            JSON.stringify(reply({ protocolVersion: '2025-06-18', capabilities: { tools: {} } })),
          );
        }
        if (body.method === 'tools/list' && !body.params?.cursor) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const page = reply({
            tools: [
              { name: 'search_issues', description: 'Search\nissues', inputSchema: {} },
              { name: 'bad name!' },
            ],
            nextCursor: 'p2',
          });
          return res.end(`event: message\ndata: ${JSON.stringify(page)}\n\n`);
        }
        if (body.method === 'tools/list') {
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end(JSON.stringify(reply({ tools: [{ name: 'delete_repo' }] })));
        }
        return res.writeHead(202).end();
      });
    });
    fake.listen(0, '127.0.0.1');
    await new Promise((r) => fake.once('listening', r));
    const port = (fake.address() as { port: number }).port;
    try {
      const s = await createServer_({
        url: `http://127.0.0.1:${port}/mcp`,
        headers: { Authorization: 'Bearer refresh-secret' },
        tools: [{ name: 'stale' }],
      });
      expect((await api('POST', `${servers()}/${s.id}/refresh-tools`, { token: member.token })).status).toBe(
        403,
      );
      const refreshed = await api<McpServer>('POST', `${servers()}/${s.id}/refresh-tools`, {
        token: admin.token,
      });
      expect(refreshed.status, refreshed.text).toBe(200);
      expect(refreshed.body.tools).toEqual([
        { name: 'search_issues', description: 'Search issues' },
        { name: 'delete_repo' },
      ]);
      expect(seen.map((r) => `${r.method} ${r.body.method ?? ''}`)).toEqual([
        'POST initialize',
        'POST notifications/initialized',
        'POST tools/list',
        'POST tools/list',
        'DELETE ',
      ]);
      for (const r of seen) expect(r.headers.authorization).toBe('Bearer refresh-secret');
      expect(seen.slice(1).map((r) => r.headers['mcp-session-id'])).toEqual([
        'sess-1',
        'sess-1',
        'sess-1',
        'sess-1',
      ]);
      const audit = await api<Page<{ action: string }>>(
        'GET',
        `/api/v1/orgs/${orgId}/audit-events?targetId=${s.id}`,
        {
          token: admin.token,
        },
      );
      expect(audit.body.data[0]?.action).toBe('mcp_server.tools_refreshed');
    } finally {
      fake.closeAllConnections();
      await new Promise((r) => fake.close(r));
    }
    // Nobody listening there any more: 422, and the catalog is unchanged.
    const gone = await createServer_({ url: `http://127.0.0.1:${port}/mcp`, tools: [{ name: 'kept' }] });
    const failed = await api<ErrorBody>('POST', `${servers()}/${gone.id}/refresh-tools`, {
      token: admin.token,
    });
    expect(failed.status).toBe(422);
    expect(failed.body.error.code).toBe('unprocessable');
    expect(
      (await api<McpServer>('GET', `${servers()}/${gone.id}`, { token: admin.token })).body.tools,
    ).toEqual([{ name: 'kept' }]);
  });
});

describe("keys' MCP policies: resource and prompt lists", () => {
  interface KeyMcp {
    enabled: boolean;
    mode: string;
    servers: string[];
    tools: Record<string, string[]>;
    resources: Record<string, string[]>;
    prompts: Record<string, string[]>;
  }
  const keysPath = () => `/api/v1/orgs/${orgId}/keys`;
  const policy: KeyMcp = {
    enabled: true,
    mode: 'allow_list',
    servers: ['github', 'jira'],
    tools: { github: ['search_issues'] },
    resources: { github: ['file:///docs/*', 'repo://acme/app/README.md'], jira: ['*'] },
    prompts: { github: ['summarize'] },
  };
  const getMcp = async (id: string) =>
    (await api<{ mcp: KeyMcp }>('GET', `${keysPath()}/${id}`, { token: admin.token })).body.mcp;
  const lastKeyChange = async () =>
    ((await lastChanges()).changes[0] as { op: string; value: { mcp: Partial<KeyMcp> } }).value.mcp;

  it('are stored, returned, carried in snapshot deltas and full snapshots, and kept when other fields change', async () => {
    const { key } = await createKey(orgId, admin.token, { mcp: policy });
    expect(await getMcp(key.id)).toEqual(policy);
    expect(await lastKeyChange()).toEqual(policy);

    // Edits of other fields (as the dashboard sends them, and bare ones) keep the lists.
    for (const body of [
      { name: unique('renamed') },
      { metadata: { team: 'x' } },
      { limits: { requestsPerMinute: 5 } },
    ]) {
      const res = await api<{ mcp: KeyMcp }>('PATCH', `${keysPath()}/${key.id}`, {
        token: admin.token,
        body,
      });
      expect(res.status).toBe(200);
      expect(res.body.mcp).toEqual(policy);
    }
    expect(await lastKeyChange()).toEqual(policy);

    // A member edits their own key's lists too.
    const mine = await createKey(orgId, member.token, { mcp: policy });
    const narrowed = { ...policy, resources: { github: ['file:///docs/readme.md'] }, prompts: {} };
    const res = await api<{ mcp: KeyMcp }>('PATCH', `${keysPath()}/${mine.key.id}`, {
      token: member.token,
      body: { mcp: narrowed },
    });
    expect(res.status).toBe(200);
    expect(res.body.mcp).toEqual(narrowed);

    // A PATCH of mcp replaces it whole: lists it leaves out are gone.
    const replaced = await api<{ mcp: KeyMcp }>('PATCH', `${keysPath()}/${key.id}`, {
      token: admin.token,
      body: { mcp: { enabled: true, mode: 'allow_list', servers: ['github'] } },
    });
    expect(replaced.body.mcp).toEqual({
      enabled: true,
      mode: 'allow_list',
      servers: ['github'],
      tools: {},
      resources: {},
      prompts: {},
    });

    // Gateways get the lists in the full snapshot.
    await api('PATCH', `${keysPath()}/${key.id}`, { token: admin.token, body: { mcp: policy } });
    const gw = await api<{ token: string }>('POST', `/api/v1/orgs/${orgId}/gateway-tokens`, {
      token: admin.token,
      body: { name: unique('edge') },
    });
    await api('POST', '/api/v1/gateway/register', {
      token: gw.body.token,
      body: { instanceId: 'mcp-policy' },
    });
    const snap = await api<unknown>('GET', '/api/v1/gateway/snapshot', { token: gw.body.token });
    expect(parseSnapshot(snap.body).keys.find((k) => k.id === key.id)?.mcp).toEqual(policy);
  });

  it('bad lists are 400 with details naming each entry, and change nothing', async () => {
    const { key } = await createKey(orgId, admin.token, { mcp: policy });
    const v = await version();
    const res = await api<ErrorBody>('PATCH', `${keysPath()}/${key.id}`, {
      token: admin.token,
      body: {
        mcp: {
          ...policy,
          resources: { github: ['file:///docs/*', 'docs', 'file:///a/%2e%2e/b'], slack: ['*'] },
          prompts: { github: [' summarize'] },
        },
      },
    });
    expect(res.status).toBe(400);
    expect(fields(res).sort()).toEqual(
      [
        'mcp.prompts.github.0',
        'mcp.resources.github.1',
        'mcp.resources.github.2',
        'mcp.resources.slack',
      ].sort(),
    );
    expect(await version()).toBe(v);
    expect(await getMcp(key.id)).toEqual(policy);
  });

  it('a key stored before the lists existed reads with empty lists, and its snapshot entry still parses', async () => {
    const { key } = await createKey(orgId, admin.token);
    const older = {
      enabled: true,
      mode: 'allow_list',
      servers: ['github'],
      tools: { github: ['search_issues'] },
    };
    await withDb((c) =>
      c.query('UPDATE api_keys SET mcp = $2 WHERE id = $1', [key.id, JSON.stringify(older)]),
    );
    expect(await getMcp(key.id)).toEqual({ ...older, resources: {}, prompts: {} });
    const gw = await api<{ token: string }>('POST', `/api/v1/orgs/${orgId}/gateway-tokens`, {
      token: admin.token,
      body: { name: unique('edge') },
    });
    await api('POST', '/api/v1/gateway/register', {
      token: gw.body.token,
      body: { instanceId: 'mcp-older' },
    });
    const snap = await api<unknown>('GET', '/api/v1/gateway/snapshot', { token: gw.body.token });
    expect(parseSnapshot(snap.body).keys.find((k) => k.id === key.id)?.mcp).toEqual(older);
    // Saving the key through the API (as the dashboard does, with the lists it read) stores them.
    const saved = await api<{ mcp: KeyMcp }>('PATCH', `${keysPath()}/${key.id}`, {
      token: admin.token,
      body: { name: unique('saved'), mcp: { ...older, resources: {}, prompts: {} } },
    });
    expect(saved.body.mcp).toEqual({ ...older, resources: {}, prompts: {} });
  });
});
