import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import type { SnapshotKey, SnapshotModel } from '@portcullis/shared/snapshot';
import { costMicroUsd, type UsageEvent } from '@portcullis/shared/usage';
import { type FakeUpstream, startFakeUpstream } from '@portcullis/testing/fake-upstream';
import type { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/app.js';
import { RateLimiter } from '../src/rate-limit/limiter.js';
import {
  byName,
  limitsOf,
  loopbackUpstream,
  type MeteredGateway,
  privateRedis,
  SnapshotBuilder,
  serveMeteredGateway,
  usageStream,
} from './helpers.js';

// Every response shape the gateway forwards is metered from the provider's own counts, through the
// real gateway (in process, real Redis, the fake upstream over real HTTP) driven by the official SDKs:
// the usage event is what the request log, spend and budgets are built from; the rate limiter gets
// the same counts.
const WORDS = 8;
const ANSWER = Array.from({ length: WORDS }, (_, i) => `word${i}`).join(' ');

let redisServer: Awaited<ReturnType<typeof privateRedis>>;
let redis: Redis;
let upstream: FakeUpstream;
let gateway: Gateway;
let served: MeteredGateway;
let events: ReturnType<typeof usageStream>;
const nowMs = Date.UTC(2030, 5, 10, 12, 0, 0);
const models: Record<string, SnapshotModel> = {};
const keys: Record<string, { key: string; record: SnapshotKey }> = {};
const K = byName(keys, 'key');
const M = byName(models, 'model');

beforeAll(async () => {
  redisServer = await privateRedis();
  redis = redisServer.redis;
  upstream = await startFakeUpstream({ words: WORDS });

  const b = new SnapshotBuilder();
  // OpenAI-format models for /v1; the openai credential at the API root for /gateway/openai/v1/*.
  const compatible = b.credential('openai_compatible', { baseUrl: `${upstream.url}/v1` });
  const older = b.credential('openai_compatible', { baseUrl: `${upstream.url}/v1` });
  const openai = b.credential('openai', { baseUrl: upstream.url });
  const anthropic = b.credential('anthropic', { baseUrl: upstream.url });
  for (const [slug, cred, prices] of [
    ['gpt', compatible, { inputPricePerMTok: 2, outputPricePerMTok: 10 }],
    ['gpt-older', older, { inputPricePerMTok: 2, outputPricePerMTok: 10 }],
    ['gpt-pt', openai, { inputPricePerMTok: 2, outputPricePerMTok: 10, cacheReadPricePerMTok: 0.5 }],
    ['claude', anthropic, { inputPricePerMTok: 3, outputPricePerMTok: 15 }],
    [
      'claude-priced',
      anthropic,
      { inputPricePerMTok: 3, outputPricePerMTok: 15, cacheWritePricePerMTok: 5, cacheReadPricePerMTok: 0.2 },
    ],
  ] as const)
    models[slug] = b.model(slug, cred, { ...prices, upstreamModel: slug });
  const budget = { budget: { limitUsd: 1000, period: 'monthly' as const, alertThresholds: [] } };
  const limits = (l: Partial<SnapshotKey['limits']>) => ({ limits: limitsOf(l) });
  for (const [name, overrides] of Object.entries({
    plain: {},
    budgeted: budget,
    anthropicBudget: budget,
    output: limits({ outputTokensPerMinute: 1_000_000 }),
    input: limits({ inputTokensPerMinute: 3000 }),
    withoutModel: { allowCallsWithoutModel: true },
  })) {
    keys[name] = await b.key(overrides);
  }
  const clock = () => nowMs;
  served = await serveMeteredGateway(
    redis,
    { orgId: b.orgId, gatewayId: 'gw-metering' },
    {
      store: b.store(),
      now: clock,
      limiter: new RateLimiter({ redis: null, instanceId: 'gw-metering', now: clock }),
      upstream: loopbackUpstream({ headersTimeoutMs: 5000 }),
    },
  );
  gateway = served.gateway;
  events = usageStream(redis, served.usage, b.orgId);
});

afterAll(async () => {
  await served?.close();
  await upstream?.close();
  await redisServer?.stop();
});

/** A fresh request id per call, so each call's usage event can be found. */
function tagged(extra: Record<string, string> = {}) {
  const requestId = `meter-${randomUUID()}`;
  return { requestId, headers: { 'x-request-id': requestId, ...extra } };
}

const openaiClient = (key: string, path = '/v1') =>
  new OpenAI({ apiKey: key, baseURL: `${served.url}${path}`, maxRetries: 0 });
const anthropicClient = (key: string, path = '') =>
  new Anthropic({ apiKey: key, baseURL: `${served.url}${path}`, maxRetries: 0 });

const MESSAGES = [{ role: 'user' as const, content: 'Say hello to the metering tests.' }];
/** The fake upstream's prompt count: a token per 4 characters of the messages' JSON. */
const fakePromptTokens = (value: unknown) => Math.max(1, Math.ceil(JSON.stringify(value).length / 4));
const micro = (e: UsageEvent) => Math.round(e.costUsd * 1e6);

describe('OpenAI-format streams: the gateway asks for usage the client did not ask for', () => {
  it('a /v1 chat stream without include_usage is billed from the provider’s counts, and the client sees no usage chunk', async () => {
    const { requestId, headers } = tagged();
    const stream = await openaiClient(K('plain').key).chat.completions.create(
      { model: 'gpt', messages: MESSAGES, stream: true },
      { headers },
    );
    let text = '';
    const chunks: Record<string, unknown>[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk as unknown as Record<string, unknown>);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe(ANSWER);
    // Every chunk has its choice; none carries a usage field (not even the null OpenAI adds when asked).
    expect(chunks.every((c) => (c.choices as unknown[]).length === 1)).toBe(true);
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    // Upstream, usage was asked for.
    expect(upstream.requests.at(-1)?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });

    const e = await events.eventOf(requestId);
    expect(e).toMatchObject({
      estimated: false,
      inputTokens: fakePromptTokens(MESSAGES),
      outputTokens: WORDS,
      model: 'gpt',
    });
    expect(micro(e)).toBe(costMicroUsd(M('gpt'), e));
  });

  it('the raw stream is byte for byte the one the provider sends without include_usage, other stream options kept', async () => {
    const { requestId, headers } = tagged();
    const res = await fetch(`${served.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${K('plain').key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt',
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: false },
      }),
    });
    const text = await res.text();
    expect(upstream.requests.at(-1)?.body).toMatchObject({ stream_options: { include_usage: true } });
    const direct = await fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-direct-to-the-provider', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt', messages: MESSAGES, stream: true }),
    });
    // Ids and timestamps differ per answer; everything else is the same.
    const normalize = (t: string) =>
      t.replace(/"id":"[^"]+"/g, '"id":""').replace(/"created":\d+/g, '"created":0');
    expect(normalize(text)).toBe(normalize(await direct.text()));
    expect((await events.eventOf(requestId)).estimated).toBe(false);
  });

  it('a client that asked for usage gets the usage chunk and the usage fields as the provider sent them', async () => {
    const { requestId, headers } = tagged();
    const stream = await openaiClient(K('plain').key).chat.completions.create(
      { model: 'gpt', messages: MESSAGES, stream: true, stream_options: { include_usage: true } },
      { headers },
    );
    const chunks: {
      choices: unknown[];
      usage?: { prompt_tokens: number; completion_tokens: number } | null;
    }[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBe(WORDS);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    const e = await events.eventOf(requestId);
    expect(e).toMatchObject({
      estimated: false,
      inputTokens: last?.usage?.prompt_tokens,
      outputTokens: WORDS,
    });
  });

  it('a pass-through chat stream is asked for usage too, and stripped of it', async () => {
    const { requestId, headers } = tagged();
    const stream = await openaiClient(K('plain').key, '/gateway/openai/v1').chat.completions.create(
      { model: 'gpt-pt', messages: MESSAGES, stream: true },
      { headers },
    );
    const chunks: Record<string, unknown>[] = [];
    for await (const chunk of stream) chunks.push(chunk as unknown as Record<string, unknown>);
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    const e = await events.eventOf(requestId);
    expect(e).toMatchObject({ estimated: false, outputTokens: WORDS, route: '/gateway/:provider/*' });
  });

  it('an upstream that refuses stream_options still streams: asked once, then the stream is estimated', async () => {
    const refuses = { 'x-fake-reject-stream-options': '1' };
    for (const round of [1, 2]) {
      const seen = upstream.requests.length;
      const { requestId, headers } = tagged(refuses);
      const stream = await openaiClient(K('plain').key).chat.completions.create(
        { model: 'gpt-older', messages: MESSAGES, stream: true },
        { headers },
      );
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe(ANSWER);
      const sent = upstream.requests
        .slice(seen)
        .map((r) => (r.body as { stream_options?: unknown }).stream_options);
      // The first call learns that this upstream refuses the option; the next does not ask again.
      expect(sent).toEqual(round === 1 ? [{ include_usage: true }, undefined] : [undefined]);
      const e = await events.eventOf(requestId);
      expect(e).toMatchObject({ status: 200, estimated: true });
      expect(e.outputTokens).toBeGreaterThanOrEqual(WORDS);
    }
    // A client that sends stream_options itself gets the provider's answer, as it would without us.
    await expect(
      openaiClient(K('plain').key).chat.completions.create(
        { model: 'gpt-older', messages: MESSAGES, stream: true, stream_options: { include_usage: true } },
        { headers: refuses },
      ),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('token rate limits count the provider’s output count of a stream, not an estimate', async () => {
    const first = tagged();
    const stream = await openaiClient(K('output').key).chat.completions.create(
      { model: 'gpt', messages: MESSAGES, stream: true },
      { headers: first.headers },
    );
    for await (const _ of stream);
    await events.eventOf(first.requestId);
    const next = await openaiClient(K('output').key)
      .chat.completions.create({ model: 'gpt', messages: MESSAGES }, tagged())
      .withResponse();
    expect(next.response.headers.get('x-ratelimit-remaining-output-tokens')).toBe(String(1_000_000 - WORDS));
  });
});

describe('Anthropic prompt caching', () => {
  const cached = (text: string): Anthropic.TextBlockParam => ({
    type: 'text',
    text,
    cache_control: { type: 'ephemeral' },
  });
  const system: Anthropic.TextBlockParam[] = [
    { type: 'text', text: 'You answer questions about the gateway manual. '.repeat(100) },
    cached('Chapter one: metering. '.repeat(250)),
  ];

  it('cache writes and reads are counted as input and priced at the provider defaults (1.25× and 0.1×), plain and streamed', async () => {
    const client = anthropicClient(K('anthropicBudget').key);
    const budgetBefore = gateway.ledger.usedMicro(K('anthropicBudget').record);
    const written = tagged();
    const first = await client.messages.create(
      { model: 'claude', max_tokens: 100, system, messages: [{ role: 'user', content: 'Page one?' }] },
      { headers: written.headers },
    );
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(1000);
    const read = tagged();
    const second = await client.messages
      .stream(
        { model: 'claude', max_tokens: 100, system, messages: [{ role: 'user', content: 'Page two?' }] },
        { headers: read.headers },
      )
      .finalMessage();
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);

    const e1 = await events.eventOf(written.requestId);
    const e2 = await events.eventOf(read.requestId);
    for (const [e, u] of [
      [e1, first.usage],
      [e2, second.usage],
    ] as const) {
      const write = u.cache_creation_input_tokens ?? 0;
      const hit = u.cache_read_input_tokens ?? 0;
      expect(e).toMatchObject({
        estimated: false,
        inputTokens: u.input_tokens + write + hit,
        outputTokens: u.output_tokens,
        cacheCreationInputTokens: write,
        cacheReadInputTokens: hit,
      });
      // $3 / MTok input: writes at $3.75, reads at $0.30; $15 output.
      expect(micro(e)).toBe(
        Math.ceil(3 * u.input_tokens + 3.75 * write + 0.3 * hit + 15 * u.output_tokens - 1e-9),
      );
    }
    expect(gateway.ledger.usedMicro(K('anthropicBudget').record) - budgetBefore).toBe(micro(e1) + micro(e2));
  });

  it('a model’s own cache prices win, through /gateway/anthropic/v1/messages too', async () => {
    const client = anthropicClient(K('budgeted').key, '/gateway/anthropic');
    const budgetBefore = gateway.ledger.usedMicro(K('budgeted').record);
    const priced = [cached('Priced manual. '.repeat(400))];
    const calls = [];
    for (const question of ['One?', 'Two?']) {
      const t = tagged();
      const res = await client.messages.create(
        {
          model: 'claude-priced',
          max_tokens: 100,
          system: priced,
          messages: [{ role: 'user', content: question }],
        },
        { headers: t.headers },
      );
      calls.push({ usage: res.usage, event: await events.eventOf(t.requestId) });
    }
    expect(calls[0]?.usage.cache_creation_input_tokens).toBeGreaterThan(1000);
    expect(calls[1]?.usage.cache_read_input_tokens).toBeGreaterThan(1000);
    for (const { usage: u, event: e } of calls) {
      const write = u.cache_creation_input_tokens ?? 0;
      const hit = u.cache_read_input_tokens ?? 0;
      expect(e).toMatchObject({
        route: '/gateway/:provider/*',
        estimated: false,
        inputTokens: u.input_tokens + write + hit,
        cacheCreationInputTokens: write,
        cacheReadInputTokens: hit,
      });
      expect(micro(e)).toBe(
        Math.ceil(3 * u.input_tokens + 5 * write + 0.2 * hit + 15 * u.output_tokens - 1e-9),
      );
    }
    expect(gateway.ledger.usedMicro(K('budgeted').record) - budgetBefore).toBe(
      calls.reduce((s, c) => s + micro(c.event), 0),
    );
  });

  it('input-token rate limits count cached input: a cached prompt is not a way around them', async () => {
    const client = anthropicClient(K('input').key);
    const long = [cached('Limits manual. '.repeat(900))];
    const first = await client.messages.create({
      model: 'claude',
      max_tokens: 10,
      system: long,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    // Uncached input is tiny; all input is over the 3000/min limit.
    expect(first.usage.input_tokens).toBeLessThan(100);
    expect(first.usage.input_tokens + (first.usage.cache_creation_input_tokens ?? 0)).toBeGreaterThan(3000);
    await expect(
      client.messages.create({
        model: 'claude',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'Again' }],
      }),
    ).rejects.toMatchObject({ status: 429, error: { error: { code: 'rate_limit_exceeded' } } });
  });
});

describe('pass-through: the Responses API and embeddings', () => {
  it('/gateway/openai/v1/responses is metered from usage.input_tokens/output_tokens, cached input at the model’s read price', async () => {
    const client = openaiClient(K('budgeted').key, '/gateway/openai/v1');
    const budgetBefore = gateway.ledger.usedMicro(K('budgeted').record);
    const t = tagged({ 'x-fake-cached-tokens': '3' });
    const res = await client.responses.create(
      { model: 'gpt-pt', input: 'Summarize the metering chapter.', instructions: 'Be brief.' },
      { headers: t.headers },
    );
    expect(res.output_text).toBe(ANSWER);
    const e = await events.eventOf(t.requestId);
    expect(e).toMatchObject({
      estimated: false,
      inputTokens: res.usage?.input_tokens,
      outputTokens: res.usage?.output_tokens,
      cacheReadInputTokens: 3,
      cacheCreationInputTokens: 0,
    });
    const input = res.usage?.input_tokens ?? 0;
    expect(micro(e)).toBe(Math.ceil(2 * (input - 3) + 0.5 * 3 + 10 * WORDS - 1e-9));
    expect(gateway.ledger.usedMicro(K('budgeted').record) - budgetBefore).toBe(micro(e));
  });

  it('a streamed Responses call is metered from response.completed', async () => {
    const t = tagged();
    const stream = await openaiClient(K('plain').key, '/gateway/openai/v1').responses.create(
      { model: 'gpt-pt', input: 'Stream the metering chapter.', stream: true },
      { headers: t.headers },
    );
    let usageSeen: { input_tokens: number; output_tokens: number } | null | undefined;
    for await (const event of stream)
      if (event.type === 'response.completed') usageSeen = event.response.usage;
    expect(usageSeen?.output_tokens).toBe(WORDS);
    expect(await events.eventOf(t.requestId)).toMatchObject({
      estimated: false,
      inputTokens: usageSeen?.input_tokens,
      outputTokens: WORDS,
    });
  });

  it('/gateway/openai/v1/embeddings is metered from prompt_tokens', async () => {
    const t = tagged();
    const res = await openaiClient(K('plain').key, '/gateway/openai/v1').embeddings.create(
      { model: 'gpt-pt', input: ['one text', 'another text'] },
      { headers: t.headers },
    );
    const e = await events.eventOf(t.requestId);
    expect(e).toMatchObject({ estimated: false, inputTokens: res.usage.prompt_tokens, outputTokens: 0 });
    expect(e.inputTokens).toBeGreaterThan(0);
  });

  it('a call that names no model is billed the cost the provider reported', async () => {
    const t = tagged({ 'x-fake-usage-cost': '0.0125' });
    const res = await fetch(`${served.url}/gateway/openai/v1/chat/completions`, {
      method: 'POST',
      headers: {
        ...t.headers,
        authorization: `Bearer ${K('withoutModel').key}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ messages: MESSAGES }),
    });
    expect(res.status).toBe(200);
    await res.text();
    expect(await events.eventOf(t.requestId)).toMatchObject({
      model: null,
      costUsd: 0.0125,
      estimated: false,
    });
  });
});

describe('answers without usage are estimated, never free', () => {
  it('a JSON answer without usage: input from the request size, output from the answer text, marked estimated', async () => {
    const t = tagged({ 'x-fake-omit-usage': '1' });
    const body = JSON.stringify({ model: 'gpt', messages: MESSAGES });
    const res = await fetch(`${served.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        ...t.headers,
        authorization: `Bearer ${K('plain').key}`,
        'content-type': 'application/json',
      },
      body,
    });
    expect(
      ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
    ).toBe(ANSWER);
    const e = await events.eventOf(t.requestId);
    expect(e).toMatchObject({
      estimated: true,
      inputTokens: Math.ceil(Buffer.byteLength(body) / 4),
      outputTokens: Math.ceil(ANSWER.length / 4),
    });
    expect(e.costUsd).toBeGreaterThan(0);
  });

  it('a Responses stream without usage counts a token per delta; an Anthropic answer without usage is estimated too', async () => {
    const t = tagged({ 'x-fake-omit-usage': '1' });
    const stream = await openaiClient(K('plain').key, '/gateway/openai/v1').responses.create(
      { model: 'gpt-pt', input: 'No usage, please.', stream: true },
      { headers: t.headers },
    );
    for await (const _ of stream);
    expect(await events.eventOf(t.requestId)).toMatchObject({ estimated: true, outputTokens: WORDS });

    const a = tagged({ 'x-fake-omit-usage': '1' });
    await anthropicClient(K('plain').key).messages.create(
      { model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: 'No usage.' }] },
      { headers: a.headers },
    );
    const e = await events.eventOf(a.requestId);
    expect(e).toMatchObject({ estimated: true, outputTokens: Math.ceil(ANSWER.length / 4) });
    expect(e.inputTokens).toBeGreaterThan(0);
  });
});
