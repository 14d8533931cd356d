import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../src/fake-upstream/server';
import { readMessageStream } from '../src/gateway-calls';

// The fake upstream is only useful if the official SDKs accept what it says: drive it with them.
let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream({ words: 5 });
});
afterAll(async () => {
  await upstream.close();
});

describe('fake upstream speaks the OpenAI wire format', () => {
  const client = () => new OpenAI({ apiKey: 'test-key', baseURL: `${upstream.url}/v1`, maxRetries: 0 });

  it('answers a chat completion with usage', async () => {
    const res = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.choices[0]?.message.content).toBe('word0 word1 word2 word3 word4');
    expect(res.usage?.completion_tokens).toBe(5);
    expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(upstream.requests.at(-1)?.headers.authorization).toBe('Bearer test-key');
  });

  it('streams chunk by chunk and ends with a usage chunk when asked', async () => {
    const stream = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let chunks = 0;
    let usage: { completion_tokens: number } | null | undefined;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('word0 word1 word2 word3 word4');
    expect(chunks).toBeGreaterThanOrEqual(7);
    expect(usage?.completion_tokens).toBe(5);
  });

  it('answers embeddings and models', async () => {
    const emb = await client().embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(emb.data).toHaveLength(2);
    expect(emb.usage.prompt_tokens).toBeGreaterThan(0);
    const models = await client().models.list();
    expect(models.data.map((m) => m.id)).toContain('fake-model');
  });

  it('streams usage exactly as OpenAI does: "usage":null on every chunk and a last chunk without choices, only when asked', async () => {
    const raw = async (body: Record<string, unknown>) => {
      const res = await fetch(`${upstream.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...body }),
      });
      return { status: res.status, text: await res.text() };
    };
    const events = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
        .map((l) => JSON.parse(l.slice(6)) as { choices: unknown[]; usage?: unknown });
    const plain = events((await raw({ stream: true })).text);
    expect(plain.every((e) => !('usage' in e) && e.choices.length === 1)).toBe(true);
    const off = events((await raw({ stream: true, stream_options: { include_usage: false } })).text);
    expect(off.every((e) => !('usage' in e))).toBe(true);
    const asked = events((await raw({ stream: true, stream_options: { include_usage: true } })).text);
    const last = asked.at(-1);
    expect(asked.slice(0, -1).every((e) => e.usage === null && e.choices.length === 1)).toBe(true);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ completion_tokens: 5, prompt_tokens_details: { cached_tokens: 0 } });
    const refused = await raw({ stream_options: { include_usage: true } });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toMatchObject({
      error: { type: 'invalid_request_error', param: 'stream_options', code: null },
    });
  });

  it('answers the Responses API as JSON and as its SSE events, with usage', async () => {
    const res = await client().responses.create({ model: 'gpt-4.1', input: 'hi', instructions: 'be brief' });
    expect(res.output_text).toBe('word0 word1 word2 word3 word4');
    expect(res.usage).toMatchObject({ output_tokens: 5, input_tokens_details: { cached_tokens: 0 } });
    expect(res.usage?.input_tokens).toBeGreaterThan(0);
    const stream = await client().responses.create({ model: 'gpt-4.1', input: 'hi', stream: true });
    const types: string[] = [];
    let text = '';
    let usage: { output_tokens: number } | null | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') usage = event.response.usage;
    }
    expect(text).toBe('word0 word1 word2 word3 word4');
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(usage?.output_tokens).toBe(5);
  });

  it('calls the first offered tool on demand, plain and streamed, and answers its result with text', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'search',
          parameters: { type: 'object', properties: { query: { type: 'string' } } },
        },
      },
    ];
    const headers = { 'x-fake-tool-call': '1' };
    const messages = [{ role: 'user' as const, content: 'find it' }];
    const plain = await client().chat.completions.create({ model: 'm', messages, tools }, { headers });
    const call = plain.choices[0]?.message.tool_calls?.[0];
    expect(plain.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'search' } });
    expect(JSON.parse((call as { function: { arguments: string } }).function.arguments)).toEqual({
      query: 'word0 word1 word2 word3 word4',
    });
    const stream = client().chat.completions.stream(
      { model: 'm', messages, tools, stream: true },
      { headers },
    );
    const streamed = await stream.finalChatCompletion();
    expect(streamed.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      function: { name: 'search', arguments: '{"query":"word0 word1 word2 word3 word4"}' },
    });
    expect(streamed.choices[0]?.finish_reason).toBe('tool_calls');
    const answered = await client().chat.completions.create(
      {
        model: 'm',
        tools,
        messages: [
          ...messages,
          {
            role: 'assistant',
            content: null,
            tool_calls: [call as OpenAI.ChatCompletionMessageFunctionToolCall],
          },
          { role: 'tool', tool_call_id: call?.id ?? '', content: 'found' },
        ],
      },
      { headers },
    );
    expect(answered.choices[0]?.message.content).toBe('word0 word1 word2 word3 word4');
  });

  it('fails on demand with a provider-shaped error', async () => {
    await expect(
      client().chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-fake-status': '503' } },
      ),
    ).rejects.toMatchObject({ status: 503 });
  });
});

describe('fake upstream speaks the Anthropic wire format', () => {
  const client = () => new Anthropic({ apiKey: 'test-key', baseURL: upstream.url, maxRetries: 0 });

  it('answers a message with usage', async () => {
    const res = await client().messages.create({
      model: 'claude-sonnet',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.content[0]).toMatchObject({ type: 'text', text: 'word0 word1 word2 word3 word4' });
    expect(res.usage.output_tokens).toBe(5);
    expect(upstream.requests.at(-1)?.headers['x-api-key']).toBe('test-key');
  });

  it('streams events and reports final usage', async () => {
    const stream = client().messages.stream({
      model: 'claude-sonnet',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const { text, final } = await readMessageStream(stream);
    expect(text).toBe('word0 word1 word2 word3 word4');
    expect(final.usage.output_tokens).toBe(5);
    expect(final.stop_reason).toBe('end_turn');
  });

  it('calls the first offered tool on demand, plain and streamed, and answers its result with text', async () => {
    const tools = [{ name: 'search', input_schema: { type: 'object' as const, properties: {} } }];
    const headers = { 'x-fake-tool-call': '1' };
    const messages = [{ role: 'user' as const, content: 'find it' }];
    const plain = await client().messages.create(
      { model: 'm', max_tokens: 64, messages, tools },
      { headers },
    );
    expect(plain.stop_reason).toBe('tool_use');
    expect(plain.content[0]).toMatchObject({
      type: 'tool_use',
      name: 'search',
      input: { query: 'word0 word1 word2 word3 word4' },
    });
    const streamed = await client()
      .messages.stream({ model: 'm', max_tokens: 64, messages, tools }, { headers })
      .finalMessage();
    expect(streamed.stop_reason).toBe('tool_use');
    expect(streamed.content[0]).toMatchObject({
      type: 'tool_use',
      input: { query: 'word0 word1 word2 word3 word4' },
    });
    const id = (plain.content[0] as { id: string }).id;
    const answered = await client().messages.create(
      {
        model: 'm',
        max_tokens: 64,
        tools,
        messages: [
          ...messages,
          { role: 'assistant', content: plain.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'found' }] },
        ],
      },
      { headers },
    );
    expect(answered.content[0]).toMatchObject({ type: 'text', text: 'word0 word1 word2 word3 word4' });
  });

  it('writes a long cache_control prefix to the prompt cache once and reads it afterwards', async () => {
    const system = [
      { type: 'text' as const, text: 'You answer questions about this manual. '.repeat(120) },
      {
        type: 'text' as const,
        text: 'The manual, in full. '.repeat(300),
        cache_control: { type: 'ephemeral' as const },
      },
    ];
    const ask = (content: string) =>
      client().messages.create({
        model: 'claude-sonnet',
        max_tokens: 64,
        system,
        messages: [{ role: 'user', content }],
      });
    const first = await ask('What is on page 1?');
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThanOrEqual(1024);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    const second = await ask('And on page 2?');
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.input_tokens).toBeGreaterThan(0);
    // Short prompts are not cached, as Anthropic's minimum says.
    const short = await client().messages.create({
      model: 'claude-sonnet',
      max_tokens: 64,
      system: [{ type: 'text', text: 'short', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(short.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });
});

// As strict as the providers on paths and auth: a gateway that builds a wrong URL or sends the wrong
// header must fail here as it would in production.
describe('fake upstream is as strict as the providers', () => {
  const call = async (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) => {
    const res = await fetch(`${upstream.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
  const bearer = { authorization: 'Bearer sk-test' };

  it.each([
    ['/v1/v1/chat/completions'],
    ['/chat/completions'],
    ['/v1/chat/completions/'],
    ['/api/v1/chat/completions'],
    ['/x/v1/chat/completions'],
  ])('answers %s with OpenAI’s 404', async (path) => {
    expect(await call('POST', path, bearer, chat)).toEqual({
      status: 404,
      json: {
        error: {
          message: `Invalid URL (POST ${path})`,
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      },
    });
  });

  it('refuses an OpenAI call without a Bearer secret, or with a Portcullis key, as OpenAI does', async () => {
    const missing = await call('POST', '/v1/chat/completions', {}, chat);
    expect(missing.status).toBe(401);
    expect(missing.json.error).toMatchObject({ type: 'invalid_request_error', code: null });
    const wrong = await call('POST', '/v1/chat/completions', { authorization: 'Bearer ptcl_abc' }, chat);
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toMatchObject({ code: 'invalid_api_key' });
    const anthropicHeader = await call('POST', '/v1/chat/completions', { 'x-api-key': 'sk-test' }, chat);
    expect(anthropicHeader.status).toBe(401);
  });

  it('refuses an Anthropic call on a wrong path, without x-api-key or without anthropic-version', async () => {
    const msg = { model: 'm', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] };
    const ok = { 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' };
    expect(await call('POST', '/v1/v1/messages', ok, msg)).toEqual({
      status: 404,
      json: { type: 'error', error: { type: 'not_found_error', message: 'Not Found' } },
    });
    expect(await call('POST', '/v1/messages', bearer, msg)).toEqual({
      status: 401,
      json: {
        type: 'error',
        error: { type: 'authentication_error', message: 'x-api-key header is required' },
      },
    });
    const noVersion = await call('POST', '/v1/messages', { 'x-api-key': 'sk-ant' }, msg);
    expect(noVersion.status).toBe(400);
    expect((await call('POST', '/v1/messages', ok, msg)).status).toBe(200);
  });

  it('serves Azure deployments only with api-key and api-version, at the documented path', async () => {
    const path = '/openai/deployments/my-gpt/chat/completions';
    expect((await call('POST', `${path}?api-version=2024-10-21`, { 'api-key': 'az' }, chat)).status).toBe(
      200,
    );
    const noKey = await call('POST', `${path}?api-version=2024-10-21`, bearer, chat);
    expect(noKey.status).toBe(401);
    expect(noKey.json).toMatchObject({ error: { code: '401' } });
    expect(await call('POST', path, { 'api-key': 'az' }, chat)).toEqual({
      status: 404,
      json: { error: { code: '404', message: 'Resource not found' } },
    });
    expect(
      (
        await call(
          'POST',
          `/openai/openai/deployments/my-gpt/chat/completions?api-version=1`,
          { 'api-key': 'az' },
          chat,
        )
      ).status,
    ).toBe(404);
  });

  it('serves Gemini generateContent only with x-goog-api-key (Bearer is not an API key there)', async () => {
    const path = '/v1beta/models/gemini-2.0-flash:generateContent';
    const body = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };
    const ok = await call('POST', path, { 'x-goog-api-key': 'g-key' }, body);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({
      usageMetadata: { candidatesTokenCount: 5 },
      modelVersion: 'gemini-2.0-flash',
    });
    expect(await call('POST', path, bearer, body)).toMatchObject({
      status: 401,
      json: { error: { code: 401, status: 'UNAUTHENTICATED' } },
    });
    expect(await call('POST', path, {}, body)).toMatchObject({
      status: 403,
      json: { error: { code: 403, status: 'PERMISSION_DENIED' } },
    });
    expect(
      await call('POST', '/v1beta/openai/v1beta/models/x:generateContent', { 'x-goog-api-key': 'g' }, body),
    ).toMatchObject({ status: 404, json: { error: { status: 'NOT_FOUND' } } });
    expect((await call('POST', '/v1beta/openai/chat/completions', bearer, chat)).status).toBe(200);
  });

  it('serves files and batches', async () => {
    const batch = await call('POST', '/v1/batches', bearer, {
      input_file_id: 'file-1',
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(batch).toMatchObject({ status: 200, json: { object: 'batch', input_file_id: 'file-1' } });
    expect(await call('GET', '/v1/files', bearer)).toMatchObject({ status: 200, json: { object: 'list' } });
    expect(await call('DELETE', '/v1/files/file-1', bearer)).toMatchObject({
      status: 200,
      json: { deleted: true },
    });
  });
});
