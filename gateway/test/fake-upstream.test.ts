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
});
