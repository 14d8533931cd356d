import Anthropic from '@anthropic-ai/sdk';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Fleet } from '@portcullis/testing/fleet';
import { chatAt } from '@portcullis/testing/gateway-calls';
import { eventually } from '@portcullis/testing/wait';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Real processes: a private redis-server, the control plane, two gateways and the fake upstream. Ephemeral
// tokens are minted over the control plane's REST API and used at both gateways with the official SDKs;
// what they get after expiry and after the parent key is revoked, rotated, paused or deleted is observed
// the way a client sees it.
const fleet = new Fleet();
const MODEL = 'gpt-4o-mini';
const org = (p: string) => `/orgs/${fleet.orgId}${p}`;

interface Minted {
  id: string;
  keyId: string;
  token: string;
  expiresAt: string;
}
interface RequestRow {
  requestId: string;
  status: number;
  gatewayId: string;
}

const newKey = (body: Record<string, unknown> = {}) => fleet.addKey(body);

const mint = (keyId: string, expiresInSeconds?: number) =>
  fleet.api<Minted>(
    'POST',
    org(`/keys/${keyId}/ephemeral-tokens`),
    expiresInSeconds === undefined ? undefined : { expiresInSeconds },
  );

async function chat(
  url: string,
  credential: string,
  requestId?: string,
): Promise<{ status: number; code: string | null; message: string | null }> {
  const { status, code, message } = await chatAt(
    url,
    credential,
    { model: MODEL, messages: [{ role: 'user', content: 'hi' }] },
    requestId ? { 'x-request-id': requestId } : {},
  );
  return { status, code, message };
}

/** Waits until every gateway answers `credential` with `status` (and `code`). */
async function everywhere(credential: string, status: number, code: string | null = null): Promise<void> {
  await eventually(async () => {
    for (const g of fleet.gateways) {
      const a = await chat(g.url, credential);
      if (a.status !== status || a.code !== code) return false;
    }
    return true;
  }, 15_000);
}

async function requestsOf(keyId: string): Promise<RequestRow[]> {
  const rows: RequestRow[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: RequestRow[]; nextCursor: string | null } = await fleet.api(
      'GET',
      org(`/keys/${keyId}/requests?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
    );
    rows.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

beforeAll(async () => {
  await fleet.start(2);
  for (const [slug, wire] of [
    [MODEL, 'openai'],
    ['claude-sonnet', 'anthropic'],
  ] as const)
    await fleet.addFakeModel(
      slug,
      { inputPricePerMTok: 1, outputPricePerMTok: 2 },
      { wire, upstreamModel: `${slug}-upstream` },
    );
  await fleet.api('POST', org('/mcp-servers'), {
    name: 'github',
    url: `${fleet.upstream.url}/mcp`,
    tools: [{ name: 'search_issues' }, { name: 'delete_repo' }],
  });
  for (const g of fleet.gateways) await fleet.waitReady(g);
}, 120_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

describe('a token minted over REST', () => {
  it('works at both gateways with the official SDKs, as its parent; usage is the parent’s, once per request', async () => {
    const parent = await newKey({
      mcp: { enabled: true, mode: 'allow_list', servers: ['github'], tools: { github: ['search_issues'] } },
    });
    const before = await fleet.api<{ requestCount: number }>('GET', org(`/keys/${parent.id}`));
    const t = await mint(parent.id);
    expect(t.keyId).toBe(parent.id);
    // Delivered by delta: usable on every gateway once it has arrived.
    await eventually(async () => {
      for (const g of fleet.gateways) if ((await chat(g.url, t.token)).status !== 200) return false;
      return true;
    });

    const ids: string[] = [];
    for (const [i, g] of fleet.gateways.entries()) {
      const openai = new OpenAI({ apiKey: t.token, baseURL: `${g.url}/v1`, maxRetries: 0 });
      const id = `ephemeral-openai-${i}-${Date.now()}`;
      const res = await openai.chat.completions.create(
        { model: MODEL, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-request-id': id } },
      );
      expect(res.choices[0]?.message.content).toContain('word0');
      ids.push(id);

      // x-api-key (the Anthropic SDK), and the same credential on /v1/messages.
      const anthropic = new Anthropic({ apiKey: t.token, baseURL: g.url, maxRetries: 0 });
      const aid = `ephemeral-anthropic-${i}-${Date.now()}`;
      const msg = await anthropic.messages.create(
        { model: 'claude-sonnet', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-request-id': aid } },
      );
      expect(msg.content[0]).toMatchObject({ type: 'text' });
      ids.push(aid);
    }

    // MCP: the parent's MCP policy filters what the token sees.
    const gw = fleet.gateways[0]?.url ?? '';
    const mcp = new Client({ name: 'e2e-ephemeral', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${gw}/mcp/github`), {
        requestInit: { headers: { authorization: `Bearer ${t.token}` } },
      }),
    );
    expect((await mcp.listTools()).tools.map((x) => x.name)).toEqual(['search_issues']);
    await mcp.close();

    // The upstream never saw the token.
    expect(JSON.stringify(fleet.upstream.requests)).not.toContain(t.token);

    // Every named request shows up under the parent key exactly once.
    await eventually(async () => {
      const rows = await requestsOf(parent.id);
      return ids.every((id) => rows.some((r) => r.requestId === id));
    }, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const rows = await requestsOf(parent.id);
    for (const id of ids)
      expect(
        rows.filter((r) => r.requestId === id),
        id,
      ).toHaveLength(1);
    expect(new Set(rows.filter((r) => ids.includes(r.requestId)).map((r) => r.gatewayId)).size).toBe(2);
    const after = await fleet.api<{ requestCount: number }>('GET', org(`/keys/${parent.id}`));
    expect(after.requestCount - before.requestCount).toBe(rows.length);
    expect(rows.length).toBeGreaterThanOrEqual(ids.length);
  }, 90_000);

  it('a gateway that starts after the mint gets the token from the full snapshot', async () => {
    const parent = await newKey();
    const g = fleet.gateways[1];
    if (!g) throw new Error('two gateways expected');
    await fleet.stopGateway(g);
    const t = await mint(parent.id, 600);
    await fleet.startGateway(g);
    await everywhere(t.token, 200);
  }, 60_000);
});

describe('a token stops working', () => {
  it('at its expiry: 401 key_expired "API key has expired" on both gateways; the parent still works', async () => {
    const parent = await newKey();
    const t = await mint(parent.id, 2);
    for (const g of fleet.gateways) {
      await eventually(async () => (await chat(g.url, t.token)).status === 200, 1_500).catch(() => {
        throw new Error('the token did not work before it expired');
      });
    }
    const wait = Date.parse(t.expiresAt) - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait + 50));
    for (const g of fleet.gateways) {
      expect(await chat(g.url, t.token)).toEqual({
        status: 401,
        code: 'key_expired',
        message: 'API key has expired',
      });
      expect((await chat(g.url, parent.secret)).status).toBe(200);
    }
  }, 30_000);

  it('when the parent is revoked: refused on both gateways', async () => {
    const parent = await newKey();
    const t = await mint(parent.id);
    await everywhere(t.token, 200);
    await fleet.api('POST', org(`/keys/${parent.id}/revoke`));
    await everywhere(t.token, 401, 'key_revoked');
    await everywhere(parent.secret, 401, 'key_revoked');
  }, 60_000);

  it('when the parent is rotated: refused (invalid_api_key) on both gateways; the new secret works', async () => {
    const parent = await newKey();
    const t = await mint(parent.id);
    await everywhere(t.token, 200);
    const rotated = await fleet.api<{ secret: string }>('POST', org(`/keys/${parent.id}/rotate`));
    await everywhere(t.token, 401, 'invalid_api_key');
    await everywhere(rotated.secret, 200);
    // A token minted after the rotation works.
    await everywhere((await mint(parent.id)).token, 200);
  }, 60_000);

  it('while the parent is paused (key_inactive), and for good once it is re-activated', async () => {
    const parent = await newKey();
    const t = await mint(parent.id);
    await everywhere(t.token, 200);
    await fleet.api('POST', org(`/keys/${parent.id}/deactivate`));
    await everywhere(t.token, 401, 'key_inactive');
    await fleet.api('POST', org(`/keys/${parent.id}/activate`));
    await everywhere(parent.secret, 200);
    await everywhere(t.token, 401, 'invalid_api_key');
  }, 60_000);

  it('when the parent is deleted: invalid_api_key on both gateways', async () => {
    const parent = await newKey();
    const t = await mint(parent.id);
    await everywhere(t.token, 200);
    const res = await fleet.call('DELETE', org(`/keys/${parent.id}`), { token: fleet.adminToken });
    expect(res.status).toBe(204);
    await everywhere(t.token, 401, 'invalid_api_key');
  }, 60_000);
});
