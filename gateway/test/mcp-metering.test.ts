import { randomUUID } from 'node:crypto';
import { seal } from '@portcullis/shared/crypto';
import type { SnapshotMcpServer } from '@portcullis/shared/snapshot';
import { parseUpstreamAllowlist } from '@portcullis/shared/upstream-url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../src/app.js';
import { type FakeUpstream, startFakeUpstream } from '../src/fake-upstream/server.js';
import { GatewayMetrics } from '../src/metrics.js';
import { SnapshotStore } from '../src/snapshot/store.js';
import { UpstreamClient } from '../src/upstream/client.js';
import { UsageEmitter } from '../src/usage/emitter.js';
import {
  privateRedis,
  type Served,
  SnapshotBuilder,
  serveApp,
  testUsageIdentity,
  usageStream,
} from './helpers.js';

// MCP calls as the usage stream records them: one gateway in process with a private redis-server for
// usage events, in front of the fake MCP server's SSE transport over real HTTP.

let redisServer: Awaited<ReturnType<typeof privateRedis>>;
let redis: Redis;
let upstream: FakeUpstream;
let gateway: Gateway;
let usage: UsageEmitter;
let served: Served;
let orgId = '';
let key = '';

beforeAll(async () => {
  redisServer = await privateRedis();
  redis = redisServer.redis;
  upstream = await startFakeUpstream();
  const b = new SnapshotBuilder();
  orgId = b.orgId;
  key = (await b.key({ mcp: { enabled: true, mode: 'allow_all', servers: [], tools: {} } })).key;
  const id = randomUUID();
  const jira: SnapshotMcpServer = {
    id,
    name: 'jira',
    url: `${upstream.url}/mcp-sse`,
    sealedHeaders: seal(b.snapshotKey, JSON.stringify({ Authorization: 'Bearer mcp' }), 1, id),
    enabled: true,
  };
  const store = new SnapshotStore();
  store.setSnapshotKey(b.snapshotKey);
  store.apply({ ...b.build(), mcpServers: [jira] });
  const metrics = new GatewayMetrics(store);
  usage = new UsageEmitter({ redis, spool: null, metrics });
  usage.setIdentity(testUsageIdentity(orgId, 'gw-mcp-metering'));
  gateway = buildGateway({
    store,
    metrics,
    usage,
    gatewayId: 'gw-mcp-metering',
    mcpUpstream: new UpstreamClient({ allowlist: parseUpstreamAllowlist('127.0.0.1', 'MCP_ALLOWLIST') }),
  });
  served = await serveApp(gateway.app);
}, 30_000);

afterAll(async () => {
  await served?.close();
  await usage?.close();
  await gateway?.close();
  await upstream?.close();
  await redisServer?.stop();
});

const eventOf = (requestId: string) => usageStream(redis, usage, orgId).eventOf(requestId);

async function initialize(): Promise<{ session: string; requestId: string }> {
  const requestId = `init-${randomUUID()}`;
  const res = await fetch(`${served.url}/mcp/jira`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-request-id': requestId,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
  expect(res.status).toBe(200);
  await res.text();
  return { session: res.headers.get('mcp-session-id') ?? '', requestId };
}

describe('/mcp/:server streams are metered as provider streams are', () => {
  it('a streamed answer that ends is one event, complete', async () => {
    const { requestId } = await initialize();
    const e = await eventOf(requestId);
    expect(e).toMatchObject({ route: '/mcp/:server', status: 200, aborted: false, errorCode: null });
  });

  it('a client that leaves a server stream is billed as aborted (mcp.test.ts shows the upstream request aborted)', async () => {
    const { session } = await initialize();
    const requestId = `leave-${randomUUID()}`;
    const controller = new AbortController();
    const res = await fetch(`${served.url}/mcp/jira`, {
      headers: {
        authorization: `Bearer ${key}`,
        accept: 'text/event-stream',
        'mcp-session-id': session,
        'x-request-id': requestId,
      },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain(': stream open');
    await reader.cancel().catch(() => {});
    controller.abort();
    const e = await eventOf(requestId);
    expect(e).toMatchObject({
      route: '/mcp/:server',
      method: 'GET',
      status: 200,
      aborted: true,
      errorCode: null,
    });
  });
});
