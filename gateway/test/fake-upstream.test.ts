import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../src/fake-upstream/server.js';

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
    let text = '';
    stream.on('text', (t) => {
      text += t;
    });
    const final = await stream.finalMessage();
    expect(text).toBe('word0 word1 word2 word3 word4');
    expect(final.usage.output_tokens).toBe(5);
    expect(final.stop_reason).toBe('end_turn');
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
