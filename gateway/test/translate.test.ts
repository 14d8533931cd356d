import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import type { SnapshotKey } from '@portcullis/shared/snapshot';
import { costMicroUsd } from '@portcullis/shared/usage';
import { type FakeUpstream, startFakeUpstream } from '@portcullis/testing/fake-upstream';
import { readMessageStream } from '@portcullis/testing/gateway-calls';
import type { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEmitter } from '../src/usage/emitter.js';
import {
  byName,
  limitsOf,
  loopbackUpstream,
  type MeteredGateway,
  privateRedis,
  SnapshotBuilder,
  serveMeteredGateway,
  UPSTREAM_SECRET,
  usageStream,
} from './helpers.js';

// Either wire format reaches every model: the official SDKs, plain and streamed, through a gateway built
// in process with real parts (a private redis-server for usage and budgets, the fake upstream over real
// HTTP, which answers each route only in its own provider's format).
const PRICES = { inputPricePerMTok: 2, outputPricePerMTok: 1000 };
const WORDS = 8;
const TEXT = 'word0 word1 word2 word3 word4 word5 word6 word7';

let redisServer: Awaited<ReturnType<typeof privateRedis>>;
let redis: Redis;
let upstream: FakeUpstream;
let usage: UsageEmitter;
let served: MeteredGateway;
let orgId = '';
const keys: Record<string, string> = {};
const k = byName(keys, 'key');

beforeAll(async () => {
  redisServer = await privateRedis();
  redis = redisServer.redis;
  upstream = await startFakeUpstream({ words: WORDS });
  const b = new SnapshotBuilder();
  orgId = b.orgId;
  b.model('claude', b.credential('anthropic', { baseUrl: upstream.url }), PRICES);
  b.model('gpt', b.credential('openai', { baseUrl: `${upstream.url}/v1` }), PRICES);
  b.model('azure-gpt', b.credential('azure_openai', { endpoint: upstream.url }), PRICES);
  b.model('local-llm', b.credential('openai_compatible', { baseUrl: `${upstream.url}/v1` }), PRICES);
  const limits = (l: Partial<SnapshotKey['limits']>) => ({ limits: limitsOf(l) });
  const made: Record<string, Partial<SnapshotKey>> = {
    main: {},
    onlyGpt: { allowedModels: ['gpt'] },
    onlyClaude: { allowedModels: ['claude'] },
    onlyOpenai: { allowedProviders: ['openai'] },
    onlyAnthropic: { allowedProviders: ['anthropic'] },
    rpm2: limits({ requestsPerMinute: 2 }),
    outputTpm: limits({ outputTokensPerMinute: WORDS }),
    // One call capped at 10 output tokens reserves ~$0.0101 and costs ~$0.008: the second one cannot fit.
    budget: { budget: { limitUsd: 0.012, period: 'daily', alertThresholds: [] } },
  };
  for (const [name, overrides] of Object.entries(made)) keys[name] = (await b.key(overrides)).key;
  served = await serveMeteredGateway(
    redis,
    { orgId: b.orgId, gatewayId: 'gw-translate' },
    { store: b.store(), now: Date.now, upstream: loopbackUpstream({ headersTimeoutMs: 5000 }) },
  );
  usage = served.usage;
});

afterAll(async () => {
  await served?.close();
  await upstream?.close();
  await redisServer?.stop();
});

const openai = (key = k('main')) => new OpenAI({ apiKey: key, baseURL: `${served.url}/v1`, maxRetries: 0 });
const anthropic = (key = k('main')) => new Anthropic({ apiKey: key, baseURL: served.url, maxRetries: 0 });
const eventOf = (requestId: string) => usageStream(redis, usage, orgId).eventOf(requestId);
const lastUpstream = () => {
  const seen = upstream.requests.at(-1);
  if (!seen) throw new Error('the upstream saw nothing');
  return { ...seen, body: seen.body as Record<string, unknown> };
};
/** Input tokens as the fake upstream counts them (one per 4 characters of each part's JSON). */
const tokens = (v: unknown) => (v === undefined ? 0 : Math.max(1, Math.ceil(JSON.stringify(v).length / 4)));
const anthropicInput = (body: Record<string, unknown>) =>
  tokens(body.messages) + tokens(body.system) + tokens(body.tools);

const weather: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  },
};
const bash: Anthropic.Tool = {
  name: 'Bash',
  description: 'Runs a shell command',
  input_schema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};
const toolCallHeader = { 'x-fake-tool-call': '1' };

describe('the OpenAI SDK on /v1/chat/completions reaches an Anthropic model', () => {
  it('plain: Messages format upstream, chat completion back, metered from Anthropic’s own usage', async () => {
    const requestId = `req-${randomUUID()}`;
    const res = await openai().chat.completions.create(
      {
        model: 'claude',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hi' },
        ],
        temperature: 0.3,
      },
      { headers: { 'x-request-id': requestId } },
    );
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]?.message.content).toBe(TEXT);
    expect(res.choices[0]?.finish_reason).toBe('stop');
    const seen = lastUpstream();
    expect(seen.path).toBe('/v1/messages');
    expect(seen.headers['x-api-key']).toBe(UPSTREAM_SECRET);
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.body).toEqual({
      model: 'claude-upstream',
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      max_tokens: 4096,
      temperature: 0.3,
    });
    const input = anthropicInput(seen.body);
    expect(res.usage).toMatchObject({ prompt_tokens: input, completion_tokens: WORDS });
    const e = await eventOf(requestId);
    expect(e).toMatchObject({
      route: '/v1/chat/completions',
      model: 'claude',
      provider: 'anthropic',
      inputTokens: input,
      outputTokens: WORDS,
      estimated: false,
      status: 200,
      costUsd: costMicroUsd(PRICES, { inputTokens: input, outputTokens: WORDS }, 'anthropic') / 1e6,
    });
  });

  it('streamed: chat.completion.chunks with usage when asked, metered from the Anthropic stream', async () => {
    const requestId = `req-${randomUUID()}`;
    const stream = await openai().chat.completions.create(
      {
        model: 'claude',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      },
      { headers: { 'x-request-id': requestId } },
    );
    let text = '';
    let finish: string | null = null;
    let reported: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) reported = chunk.usage;
    }
    expect(text).toBe(TEXT);
    expect(finish).toBe('stop');
    const seen = lastUpstream();
    expect(seen.body.stream).toBe(true);
    expect(seen.body.stream_options).toBeUndefined();
    const input = anthropicInput(seen.body);
    expect(reported).toMatchObject({ prompt_tokens: input, completion_tokens: WORDS });
    expect(await eventOf(requestId)).toMatchObject({
      inputTokens: input,
      outputTokens: WORDS,
      estimated: false,
    });
  });

  it('passes each translated event on as it comes: the first arrives while the upstream still writes', async () => {
    const res = await fetch(`${served.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${k('main')}`,
        'x-fake-latency-ms': '1600',
      },
      body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"object":"chat.completion.chunk"');
    expect(first).not.toContain('message_start');
    expect(lastUpstream().finished).toBe(false);
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    expect(lastUpstream().finished).toBe(true);
    expect(rest.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('a tool round trip, plain and streamed, keeps the call ids', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await openai().chat.completions.create(
      { model: 'claude', messages, tools: [weather], tool_choice: 'auto' },
      { headers: toolCallHeader },
    );
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    const call = first.choices[0]?.message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(JSON.parse(call.function.arguments)).toEqual({ query: TEXT });
    expect(lastUpstream().body).toMatchObject({
      tools: [{ name: 'get_weather', input_schema: weather.function.parameters }],
      tool_choice: { type: 'auto' },
    });

    const streamed = await openai()
      .chat.completions.stream({ model: 'claude', messages, tools: [weather] }, { headers: toolCallHeader })
      .finalChatCompletion();
    expect(streamed.choices[0]?.finish_reason).toBe('tool_calls');
    expect(streamed.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      id: expect.stringMatching(/^toolu_/),
      function: { name: 'get_weather', arguments: JSON.stringify({ query: TEXT }) },
    });

    const answer = await openai().chat.completions.create(
      {
        model: 'claude',
        tools: [weather],
        messages: [
          ...messages,
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: '18C and sunny' },
        ],
      },
      { headers: toolCallHeader },
    );
    expect(answer.choices[0]?.message.content).toBe(TEXT);
    expect(lastUpstream().body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: call.id, name: 'get_weather', input: { query: TEXT } }],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: call.id, content: [{ type: 'text', text: '18C and sunny' }] },
        ],
      },
    ]);
  });

  it('upstream errors come back in OpenAI’s shape, with their status', async () => {
    const err = await openai()
      .chat.completions.create(
        { model: 'claude', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-fake-status': '529' } },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({
      status: 529,
      error: { type: 'api_error', message: 'fake upstream failure 529' },
    });
  });

  it('a field Messages cannot map is a 400 naming it, and nothing goes upstream', async () => {
    const before = upstream.requests.length;
    const err = await openai()
      .chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], n: 3 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, error: { code: 'invalid_request' } });
    expect((err as Error).message).toContain('n: has no equivalent in the Messages API');
    expect(upstream.requests.length).toBe(before);
  });
});

describe('the Anthropic SDK on /v1/messages reaches OpenAI-format models', () => {
  it('plain: chat format upstream with the provider’s output cap, a Message back', async () => {
    const requestId = `req-${randomUUID()}`;
    const res = await anthropic().messages.create(
      { model: 'gpt', max_tokens: 300, system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-request-id': requestId } },
    );
    expect(res).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: TEXT }],
      stop_reason: 'end_turn',
    });
    const seen = lastUpstream();
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(seen.body).toEqual({
      model: 'gpt-upstream',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
      max_completion_tokens: 300,
    });
    const input = tokens(seen.body.messages);
    expect(res.usage).toMatchObject({ input_tokens: input, output_tokens: WORDS });
    expect(await eventOf(requestId)).toMatchObject({
      route: '/v1/messages',
      model: 'gpt',
      provider: 'openai',
      inputTokens: input,
      outputTokens: WORDS,
      estimated: false,
    });
  });

  it('streamed: Anthropic events, usage asked upstream and reported in message_delta', async () => {
    const requestId = `req-${randomUUID()}`;
    const stream = anthropic().messages.stream(
      { model: 'gpt', max_tokens: 300, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-request-id': requestId } },
    );
    const types: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const { text, final } = await readMessageStream(stream);
    expect(text).toBe(TEXT);
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    const seen = lastUpstream();
    expect(seen.body.stream_options).toEqual({ include_usage: true });
    const input = tokens(seen.body.messages);
    expect(final.usage).toMatchObject({ input_tokens: input, output_tokens: WORDS });
    expect(final.stop_reason).toBe('end_turn');
    expect(await eventOf(requestId)).toMatchObject({
      inputTokens: input,
      outputTokens: WORDS,
      estimated: false,
    });
  });

  it('a streamed tool round trip, as Claude Code makes it, keeps the tool_use ids', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Run it' }];
    const first = await anthropic()
      .messages.stream(
        {
          model: 'gpt',
          max_tokens: 1000,
          system: [{ type: 'text', text: 'You are a coding agent.', cache_control: { type: 'ephemeral' } }],
          messages,
          tools: [bash],
          tool_choice: { type: 'auto' },
        },
        { headers: toolCallHeader },
      )
      .finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content[0] as Anthropic.ToolUseBlock;
    expect(use).toMatchObject({ type: 'tool_use', name: 'Bash', input: { query: TEXT } });
    expect(lastUpstream().body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'Bash', parameters: bash.input_schema } }],
      tool_choice: 'auto',
    });

    const answer = await anthropic().messages.create(
      {
        model: 'gpt',
        max_tokens: 1000,
        tools: [bash],
        messages: [
          ...messages,
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'done' }] },
        ],
      },
      { headers: toolCallHeader },
    );
    expect(answer.content).toEqual([{ type: 'text', text: TEXT }]);
    expect(lastUpstream().body.messages).toEqual([
      { role: 'user', content: 'Run it' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: use.id,
            type: 'function',
            function: { name: 'Bash', arguments: JSON.stringify({ query: TEXT }) },
          },
        ],
      },
      { role: 'tool', tool_call_id: use.id, content: 'done' },
    ]);
  });

  it('reaches Azure deployments and OpenAI-compatible servers (one that refuses stream_options too)', async () => {
    const azure = await anthropic().messages.create({
      model: 'azure-gpt',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(azure.content).toEqual([{ type: 'text', text: TEXT }]);
    expect(lastUpstream().path).toBe('/openai/deployments/azure-gpt-upstream/chat/completions');
    expect(lastUpstream().body.max_completion_tokens).toBe(5);

    const requestId = `req-${randomUUID()}`;
    const local = await anthropic()
      .messages.stream(
        { model: 'local-llm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-fake-reject-stream-options': '1', 'x-request-id': requestId } },
      )
      .finalMessage();
    expect(local.content).toEqual([{ type: 'text', text: TEXT }]);
    expect(lastUpstream().body).toMatchObject({ max_tokens: 5, stream: true });
    expect(lastUpstream().body.stream_options).toBeUndefined();
    expect(await eventOf(requestId)).toMatchObject({ model: 'local-llm', estimated: true, status: 200 });
  });

  it('upstream errors come back in Anthropic’s shape, with their status', async () => {
    const res = await fetch(`${served.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': k('main'), 'x-fake-status': '503' },
      body: JSON.stringify({ model: 'gpt', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'fake upstream failure 503' },
    });
    const err = await anthropic()
      .messages.create(
        { model: 'gpt', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-fake-status': '429' } },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err).toMatchObject({ error: { type: 'error', error: { type: 'rate_limit_error' } } });
  });

  it('a field chat cannot map is a 400 naming it, and nothing goes upstream', async () => {
    const before = upstream.requests.length;
    const err = await anthropic()
      .messages.create({
        model: 'gpt',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400 });
    expect((err as Error).message).toContain('tools[0].type:');
    expect(upstream.requests.length).toBe(before);
  });
});

describe('policy holds through the other wire format', () => {
  const call = (
    route: 'chat' | 'messages',
    model: string,
    key: string,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${served.url}/v1/${route === 'chat' ? 'chat/completions' : 'messages'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
      body: JSON.stringify({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });

  // Each key × the model it may not use, on both routes: refused before anything goes upstream.
  const denied: [string, string, 'chat' | 'messages', number, string][] = [
    ['onlyGpt', 'claude', 'chat', 403, 'model_not_allowed'],
    ['onlyGpt', 'claude', 'messages', 403, 'model_not_allowed'],
    ['onlyClaude', 'gpt', 'messages', 403, 'model_not_allowed'],
    ['onlyClaude', 'gpt', 'chat', 403, 'model_not_allowed'],
    ['onlyOpenai', 'claude', 'chat', 403, 'provider_not_allowed'],
    ['onlyOpenai', 'claude', 'messages', 403, 'provider_not_allowed'],
    ['onlyAnthropic', 'gpt', 'messages', 403, 'provider_not_allowed'],
    ['onlyAnthropic', 'azure-gpt', 'messages', 403, 'provider_not_allowed'],
    ['onlyAnthropic', 'local-llm', 'chat', 403, 'provider_not_allowed'],
  ];
  it.each(denied)('a key %s cannot reach %s through /v1/%s', async (key, model, route, status, code) => {
    const before = upstream.requests.length;
    const res = await call(route, model, k(key));
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    expect(upstream.requests.length).toBe(before);
  });

  it('while each of those keys reaches its own model through the other format', async () => {
    expect((await call('messages', 'gpt', k('onlyGpt'))).status).toBe(200);
    expect((await call('chat', 'claude', k('onlyClaude'))).status).toBe(200);
    expect((await call('messages', 'gpt', k('onlyOpenai'))).status).toBe(200);
    expect((await call('chat', 'claude', k('onlyAnthropic'))).status).toBe(200);
  });

  it('request rate limits count translated calls', async () => {
    expect((await call('chat', 'claude', k('rpm2'))).status).toBe(200);
    expect((await call('messages', 'gpt', k('rpm2'))).status).toBe(200);
    const third = await call('chat', 'claude', k('rpm2'));
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
  });

  it('token rate limits count the output tokens the provider reported for a translated call', async () => {
    // The key may have 8 output tokens a minute; the first call's answer reports 8.
    const first = await call('messages', 'gpt', k('outputTpm'));
    expect(first.status).toBe(200);
    expect(((await first.json()) as { usage: { output_tokens: number } }).usage.output_tokens).toBe(WORDS);
    const next = await call('chat', 'claude', k('outputTpm'));
    expect(next.status).toBe(429);
    expect(((await next.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
  });

  it('budgets are spent by translated calls at the provider’s usage and then refuse', async () => {
    const requestId = `req-${randomUUID()}`;
    const first = await call('chat', 'claude', k('budget'), { 'x-request-id': requestId });
    expect(first.status).toBe(200);
    const e = await eventOf(requestId);
    expect(e.costUsd).toBeGreaterThan(0.008);
    const second = await call('messages', 'gpt', k('budget'));
    expect(second.status).toBe(429);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('budget_exceeded');
  });
});
