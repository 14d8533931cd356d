import { randomUUID } from 'node:crypto';
import { seal } from '@portcullis/shared/crypto';
import { budgetKey } from '@portcullis/shared/redis-keys';
import type { SnapshotKey, SnapshotMcpServer } from '@portcullis/shared/snapshot';
import { costMicroUsd } from '@portcullis/shared/usage';
import { type FakeUpstream, startFakeUpstream } from '@portcullis/testing/fake-upstream';
import { freePort } from '@portcullis/testing/processes';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/app.js';
import type { UsageEmitter } from '../src/usage/emitter.js';
import {
  byName,
  loopbackUpstream,
  type MeteredGateway,
  privateRedis,
  SnapshotBuilder,
  serveMeteredGateway,
  usageStream,
} from './helpers.js';

// One gateway built in process with real parts: a private redis-server (usage stream and budget
// counters), the fake upstream (provider and MCP server) over real HTTP, and an injectable clock for
// budget periods.
const PRICES = { inputPricePerMTok: 2, outputPricePerMTok: 1000 };
const WORDS = 8;

let redisServer: Awaited<ReturnType<typeof privateRedis>>;
let redis: Redis;
let upstream: FakeUpstream;
let gateway: Gateway;
let usage: UsageEmitter;
let served: MeteredGateway;
/** The gateway's clock: 2030-01-15 23:59:00 UTC, one minute before a daily budget resets. */
let nowMs = Date.UTC(2030, 0, 15, 23, 59, 0);
const keys: Record<string, { key: string; record: SnapshotKey }> = {};
const K = byName(keys, 'key');

let orgId = '';

beforeAll(async () => {
  redisServer = await privateRedis();
  redis = redisServer.redis;
  upstream = await startFakeUpstream({ words: WORDS });

  const b = new SnapshotBuilder();
  orgId = b.orgId;
  const cred = b.credential('openai_compatible', { baseUrl: `${upstream.url}/v1` });
  b.model('metered', cred, PRICES);
  const dead = b.credential('openai_compatible', { baseUrl: `http://127.0.0.1:${await freePort()}/v1` });
  b.model('unreachable', dead, PRICES);
  const budget = (limitUsd: number) => ({
    budget: { limitUsd, period: 'daily' as const, alertThresholds: [] },
  });
  for (const [name, overrides] of Object.entries({
    plain: { metadata: { team: 'backend', tier: 2 } },
    roomy: budget(100),
    daily: budget(0.05),
    narrow: { allowedModels: ['unreachable'] },
    mcp: { mcp: { enabled: true, mode: 'allow_all' as const, servers: [], tools: {} } },
  })) {
    const made = await b.key(overrides);
    keys[name] = { key: made.key, record: made.record };
  }
  const mcpId = randomUUID();
  const jira: SnapshotMcpServer = {
    id: mcpId,
    name: 'jira',
    url: `${upstream.url}/mcp-sse`,
    sealedHeaders: seal(b.snapshotKey, JSON.stringify({ Authorization: 'Bearer mcp' }), 1, mcpId),
    enabled: true,
  };
  served = await serveMeteredGateway(
    redis,
    { orgId: b.orgId, gatewayId: 'gw-in-process' },
    {
      store: b.store({ mcpServers: [jira] }),
      now: () => nowMs,
      upstream: loopbackUpstream({ headersTimeoutMs: 2000 }),
      mcpUpstream: loopbackUpstream({}, 'MCP_ALLOWLIST'),
    },
  );
  gateway = served.gateway;
  usage = served.usage;
});

afterAll(async () => {
  await served?.close();
  await upstream?.close();
  await redisServer?.stop();
});

function chat(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const requestId = `req-${randomUUID()}`;
  const text = JSON.stringify({
    model: 'metered',
    messages: [{ role: 'user', content: 'hi there' }],
    ...body,
  });
  const res = fetch(`${served.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'user-agent': 'usage-test/1.0',
      'x-request-id': requestId,
      ...headers,
    },
    body: text,
  });
  return { res, requestId, bytes: Buffer.byteLength(text) };
}

const streamEvents = () => usageStream(redis, usage, orgId).events();
const eventOf = (requestId: string) => usageStream(redis, usage, orgId).eventOf(requestId);

const fakePromptTokens = (messages: unknown) => Math.max(1, Math.ceil(JSON.stringify(messages).length / 4));
const MESSAGES = [{ role: 'user', content: 'hi there' }];

describe('usage events', () => {
  it('a streamed call with a usage chunk is billed from it, with the request described', async () => {
    const { res, requestId } = chat(K('plain').key, {
      stream: true,
      stream_options: { include_usage: true },
    });
    const r = await res;
    expect(r.status).toBe(200);
    await r.text();
    const e = await eventOf(requestId);
    const input = fakePromptTokens(MESSAGES);
    expect(e).toMatchObject({
      orgId: K('plain').record.orgId,
      keyId: K('plain').record.id,
      ownerId: K('plain').record.ownerId,
      gatewayId: 'gw-in-process',
      method: 'POST',
      route: '/v1/chat/completions',
      model: 'metered',
      provider: 'openai_compatible',
      inputTokens: input,
      outputTokens: WORDS,
      costUsd: costMicroUsd(PRICES, { inputTokens: input, outputTokens: WORDS }) / 1e6,
      estimated: false,
      aborted: false,
      status: 200,
      errorCode: null,
      sourceIp: '127.0.0.1',
      userAgent: 'usage-test/1.0',
      metadata: { team: 'backend', tier: 2 },
      time: new Date(nowMs).toISOString(),
    });
    expect(e.latencyMs).toBeGreaterThan(0);
  });

  it('a stream without a usage chunk is billed at the documented estimate and marked estimated', async () => {
    const { res, requestId, bytes } = chat(K('plain').key, { stream: true }, { 'x-fake-omit-usage': '1' });
    await (await res).text();
    const e = await eventOf(requestId);
    expect(e.estimated).toBe(true);
    // About 4 bytes a token for the prompt; a token per streamed content delta.
    expect(e.inputTokens).toBe(Math.ceil(bytes / 4));
    expect(e.outputTokens).toBeGreaterThanOrEqual(WORDS);
    expect(e.costUsd).toBe(
      costMicroUsd(PRICES, { inputTokens: e.inputTokens, outputTokens: e.outputTokens }) / 1e6,
    );
  });

  it('a client that goes away mid-stream is billed for what was streamed, and the budget settles', async () => {
    const controller = new AbortController();
    const requestId = `abort-${randomUUID()}`;
    // 8 words over 4 s: one content chunk every 500 ms.
    const r = await fetch(`${served.url}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: {
        authorization: `Bearer ${K('roomy').key}`,
        'content-type': 'application/json',
        'x-request-id': requestId,
        'x-fake-latency-ms': '4000',
      },
      body: JSON.stringify({ model: 'metered', messages: MESSAGES, stream: true, max_tokens: 50 }),
    });
    expect(r.status).toBe(200);
    const reader = (r.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('word1')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel().catch(() => {});
    controller.abort();
    const e = await eventOf(requestId);
    expect(e.aborted).toBe(true);
    expect(e.status).toBe(200);
    expect(e.estimated).toBe(true);
    expect(e.outputTokens).toBeGreaterThanOrEqual(2);
    expect(e.outputTokens).toBeLessThan(WORDS);
    expect(e.costUsd).toBeGreaterThan(0);
    // The budget now holds exactly the settled costs of this key's calls: no reservation is left.
    const spent = (await streamEvents())
      .filter((x) => x.keyId === K('roomy').record.id)
      .reduce((s, x) => s + Math.round(x.costUsd * 1e6), 0);
    await gateway.ledger.sync();
    expect(gateway.ledger.usedMicro(K('roomy').record)).toBe(spent);
  });

  it('an upstream 500 and an unreachable upstream are events with their status and release the reservation', async () => {
    const before = gateway.ledger.usedMicro(K('roomy').record);
    const failed = chat(K('roomy').key, {}, { 'x-fake-status': '500' });
    expect((await failed.res).status).toBe(500);
    const e500 = await eventOf(failed.requestId);
    expect(e500).toMatchObject({ status: 500, inputTokens: 0, outputTokens: 0, costUsd: 0, aborted: false });

    const gone = chat(K('roomy').key, { model: 'unreachable' });
    const r = await gone.res;
    expect(r.status).toBe(502);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('upstream_error');
    const e502 = await eventOf(gone.requestId);
    expect(e502).toMatchObject({
      status: 502,
      errorCode: 'upstream_error',
      model: 'unreachable',
      costUsd: 0,
    });
    expect(gateway.ledger.usedMicro(K('roomy').record)).toBe(before);
  });

  it('a refusal after the key is identified is an event; a request without a valid key is none', async () => {
    const refused = chat(K('narrow').key, {});
    const r = await refused.res;
    expect(r.status).toBe(403);
    expect(await eventOf(refused.requestId)).toMatchObject({
      status: 403,
      errorCode: 'model_not_allowed',
      keyId: K('narrow').record.id,
      inputTokens: 0,
      costUsd: 0,
    });

    const anonymous = chat('pcl_not-a-key', {});
    expect((await anonymous.res).status).toBe(401);
    const marker = chat(K('plain').key, {});
    await (await marker.res).text();
    await eventOf(marker.requestId);
    expect((await streamEvents()).some((e) => e.requestId === anonymous.requestId)).toBe(false);
  });
});

describe('budgets', () => {
  it('a spent daily budget answers 429 budget_exceeded until the period rolls over, then re-opens', async () => {
    const daily = K('daily');
    // Each call reserves its maximum (input estimate + max_tokens at the prices) and settles its cost.
    let answered = 0;
    let spentMicro = 0;
    let refusal: Response | null = null;
    for (let i = 0; i < 20 && !refusal; i++) {
      const call = chat(daily.key, { max_tokens: WORDS });
      const r = await call.res;
      if (r.status === 429) {
        refusal = r;
        break;
      }
      expect(r.status).toBe(200);
      await r.text();
      answered++;
      spentMicro += Math.round((await eventOf(call.requestId)).costUsd * 1e6);
    }
    if (!refusal) throw new Error('the budget never refused');
    const limitMicro = 50_000;
    expect(answered).toBeGreaterThan(0);
    expect(spentMicro).toBeLessThanOrEqual(limitMicro);
    const body = (await refusal.json()) as { error: { code: string; message: string; type: string } };
    expect(body.error.code).toBe('budget_exceeded');
    expect(body.error.message).toMatch(/^Budget exceeded: /);
    // 23:59:00 → the daily period ends at midnight UTC.
    expect(refusal.headers.get('retry-after')).toBe('60');

    // The refusal was an event too, and the budget holds exactly the settled spend.
    expect(gateway.ledger.usedMicro(daily.record)).toBe(spentMicro);

    nowMs += 2 * 60_000; // 2030-01-16 00:01 UTC: a new daily period.
    const next = chat(daily.key, { max_tokens: WORDS });
    const r = await next.res;
    expect(r.status).toBe(200);
    await r.text();
    const e = await eventOf(next.requestId);
    expect(e.time).toBe(new Date(nowMs).toISOString());
    expect(gateway.ledger.usedMicro(daily.record)).toBe(Math.round(e.costUsd * 1e6));
    // The two periods are separate counters in Redis. The ended one holds exactly its spend once the
    // gateway gave back its unspent allowance; the new one holds the new spend plus what this gateway
    // was granted ahead.
    await gateway.ledger.sync();
    const old = await redis.get(budgetKey('_', `key:${daily.record.id}`, 'd20300115'));
    const fresh = Number(await redis.get(budgetKey('_', `key:${daily.record.id}`, 'd20300116')));
    expect(Number(old)).toBe(spentMicro);
    expect(fresh).toBeGreaterThanOrEqual(Math.round(e.costUsd * 1e6));
    expect(fresh).toBeLessThanOrEqual(limitMicro);
  });
});

async function initializeMcp(): Promise<{ session: string; requestId: string }> {
  const requestId = `init-${randomUUID()}`;
  const res = await fetch(`${served.url}/mcp/jira`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${K('mcp').key}`,
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
    const { requestId } = await initializeMcp();
    const e = await eventOf(requestId);
    expect(e).toMatchObject({ route: '/mcp/:server', status: 200, aborted: false, errorCode: null });
  });

  it('a client that leaves a server stream is billed as aborted (mcp.test.ts shows the upstream request aborted)', async () => {
    const { session } = await initializeMcp();
    const requestId = `leave-${randomUUID()}`;
    const controller = new AbortController();
    const res = await fetch(`${served.url}/mcp/jira`, {
      headers: {
        authorization: `Bearer ${K('mcp').key}`,
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
