import { randomUUID } from 'node:crypto';
import type { SnapshotMcpServer } from '@portcullis/shared/snapshot';
import { parseUpstreamAllowlist } from '@portcullis/shared/upstream-url';
import { type FakeUpstream, startFakeUpstream } from '@portcullis/testing/fake-upstream';
import { mcpInitializeAt } from '@portcullis/testing/gateway-calls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamClient } from '../src/upstream/client.js';
import { type ServedGateway, SnapshotBuilder, serveGateway } from './helpers.js';

// The gateway's SSRF guard on real ports: IPv6 and numeric forms of a loopback address that is not
// allowlisted are refused before any connection, and providers and MCP servers have separate allow
// lists (UPSTREAM_ALLOWLIST, MCP_ALLOWLIST): one's allowance does not carry over to the other.

let upstream: FakeUpstream;
let key: string;
const builder = new SnapshotBuilder();
let mcpServers: SnapshotMcpServer[];
const running: ServedGateway[] = [];

/** 127.0.0.2 in disguise: only 127.0.0.1 is allowlisted, so every one of these must be refused. */
const DISGUISED = [
  '[::7f00:2]',
  '[::127.0.0.2]',
  '[::ffff:0:7f00:2]',
  '[2002:7f00:2::1]',
  '0x7f.0.0.2',
  '127.0.2',
];

beforeAll(async () => {
  upstream = await startFakeUpstream();
  const port = new URL(upstream.url).port;
  builder.model('loopback-gpt', builder.credential('openai_compatible', { baseUrl: `${upstream.url}/v1` }));
  DISGUISED.forEach((host, i) => {
    builder.model(
      `disguised-${i}`,
      builder.credential('openai_compatible', { baseUrl: `http://${host}:${port}/v1` }),
    );
  });
  mcpServers = [
    { id: randomUUID(), name: 'tracker', url: `${upstream.url}/mcp`, sealedHeaders: null, enabled: true },
  ];
  key = (await builder.key({ mcp: { enabled: true, mode: 'allow_all', servers: [], tools: {} } })).key;
}, 30_000);

afterAll(async () => {
  for (const served of running) await served.close();
  await upstream.close();
});

/** A gateway on a real port with the given allow lists (as main.ts builds it from its settings). */
async function gatewayWith(lists: { upstream: string; mcp: string }): Promise<string> {
  const served = await serveGateway({
    store: builder.store({ mcpServers }),
    upstream: new UpstreamClient({ allowlist: parseUpstreamAllowlist(lists.upstream, 'UPSTREAM_ALLOWLIST') }),
    mcpUpstream: new UpstreamClient({ allowlist: parseUpstreamAllowlist(lists.mcp, 'MCP_ALLOWLIST') }),
  });
  running.push(served);
  return served.url;
}

async function chat(base: string, model: string) {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

async function mcpInitialize(base: string) {
  const res = await mcpInitializeAt(base, 'tracker', key);
  return { status: res.status, text: await res.text() };
}

describe('the SSRF guard at the gateway', () => {
  it('refuses a provider at an IPv6 or numeric form of a loopback address that is not allowlisted', async () => {
    const base = await gatewayWith({ upstream: '127.0.0.1', mcp: '' });
    const before = upstream.requests.length;
    for (let i = 0; i < DISGUISED.length; i++) {
      const res = await chat(base, `disguised-${i}`);
      expect(res.status, DISGUISED[i]).toBe(502);
      expect(res.body.error?.code).toBe('upstream_error');
      expect(res.body.error?.message, DISGUISED[i]).toBe(
        "The provider's address is not allowed by this gateway",
      );
    }
    expect(upstream.requests.length).toBe(before);
    expect((await chat(base, 'loopback-gpt')).status).toBe(200);
  });
});

describe('separate allow lists for providers and MCP servers', () => {
  it("a host allowed for providers is refused as an MCP server (MCP_ALLOWLIST doesn't name it)", async () => {
    const base = await gatewayWith({ upstream: '127.0.0.1', mcp: '' });
    const before = upstream.requests.length;
    const refused = await mcpInitialize(base);
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.text).error).toMatchObject({
      code: 'upstream_error',
      message: "The MCP server's address is not allowed by this gateway",
    });
    expect(upstream.requests.length).toBe(before);
    expect((await chat(base, 'loopback-gpt')).status).toBe(200);
  });

  it("a host allowed for MCP servers is refused as a provider (UPSTREAM_ALLOWLIST doesn't name it)", async () => {
    const base = await gatewayWith({ upstream: '', mcp: '127.0.0.1' });
    const refused = await chat(base, 'loopback-gpt');
    expect(refused.status).toBe(502);
    expect(refused.body.error?.message).toBe("The provider's address is not allowed by this gateway");
    const ok = await mcpInitialize(base);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.text).toContain('protocolVersion');
  });
});
