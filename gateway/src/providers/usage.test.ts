import { describe, expect, it } from 'vitest';
import {
  estimateJsonOutput,
  needsStreamUsage,
  newUsage,
  readEventUsage,
  readJsonUsage,
  withStreamUsage,
} from './usage.js';

const counts = (acc: ReturnType<typeof newUsage>) => ({
  input: acc.inputTokens,
  output: acc.outputTokens,
  write: acc.cacheCreationInputTokens,
  read: acc.cacheReadInputTokens,
  reported: acc.inputReported && acc.outputReported,
});
const json = (body: unknown) => {
  const acc = newUsage();
  const found = readJsonUsage(body, acc);
  return { found, ...counts(acc), cost: acc.costUsd };
};

describe('readJsonUsage recognizes each shape by its fields', () => {
  it('OpenAI chat completions and embeddings; cached prompt tokens are part of prompt_tokens', () => {
    expect(
      json({
        object: 'chat.completion',
        usage: { prompt_tokens: 100, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 64 } },
      }),
    ).toMatchObject({ found: true, input: 100, output: 7, write: 0, read: 64, reported: true });
    expect(json({ object: 'list', usage: { prompt_tokens: 12, total_tokens: 12 } })).toMatchObject({
      input: 12,
      output: 0,
      reported: true,
    });
  });

  it('the Responses API', () => {
    expect(
      json({
        object: 'response',
        usage: { input_tokens: 50, input_tokens_details: { cached_tokens: 20 }, output_tokens: 9 },
      }),
    ).toMatchObject({ input: 50, output: 9, read: 20, write: 0 });
  });

  it('Anthropic: input_tokens is only the uncached part, the cache counts are added to it', () => {
    expect(
      json({
        type: 'message',
        usage: {
          input_tokens: 10,
          cache_creation_input_tokens: 1500,
          cache_read_input_tokens: 3000,
          output_tokens: 5,
        },
      }),
    ).toMatchObject({ input: 4510, output: 5, write: 1500, read: 3000 });
    // Null cache fields (as some Anthropic-compatible servers send) count as 0.
    expect(
      json({ usage: { input_tokens: 10, cache_creation_input_tokens: null, output_tokens: 5 } }),
    ).toMatchObject({ input: 10, write: 0, read: 0 });
  });

  it('Gemini usageMetadata, also as the last element of a streamGenerateContent array', () => {
    const meta = {
      promptTokenCount: 40,
      cachedContentTokenCount: 30,
      candidatesTokenCount: 6,
      thoughtsTokenCount: 4,
    };
    expect(json({ candidates: [], usageMetadata: meta })).toMatchObject({ input: 40, output: 10, read: 30 });
    expect(json([{ candidates: [] }, { candidates: [], usageMetadata: meta }])).toMatchObject({
      input: 40,
      output: 10,
    });
  });

  it('a reported cost; a usage of zeros or of no known shape is no report', () => {
    expect(json({ usage: { prompt_tokens: 1, completion_tokens: 1, cost: 0.002 } }).cost).toBe(0.002);
    expect(json({ usage: { prompt_tokens: 0, completion_tokens: 0 } })).toMatchObject({ reported: false });
    expect(json({ usage: { tokens: 5 } })).toMatchObject({ found: false, reported: false });
    expect(json({ choices: [] })).toMatchObject({ found: false });
    expect(json('text')).toMatchObject({ found: false });
  });

  it('never reports more cached than total input', () => {
    expect(
      json({
        usage: { prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 99 } },
      }),
    ).toMatchObject({ input: 10, read: 10 });
  });
});

describe('readEventUsage folds streamed events', () => {
  it('Anthropic: message_start gives input and cache counts, message_delta the cumulative output', () => {
    const acc = newUsage();
    readEventUsage(
      {
        type: 'message_start',
        message: {
          usage: {
            input_tokens: 3,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 2000,
            output_tokens: 1,
          },
        },
      },
      acc,
    );
    // Until message_delta, the output count is a placeholder: not reported.
    expect(acc).toMatchObject({ inputTokens: 2003, cacheReadInputTokens: 2000, outputTokens: 1 });
    expect(acc.outputReported).toBe(false);
    readEventUsage({ type: 'message_delta', usage: { output_tokens: 12 } }, acc);
    readEventUsage({ type: 'message_delta', usage: { output_tokens: 40 } }, acc);
    expect(counts(acc)).toEqual({ input: 2003, output: 40, write: 0, read: 2000, reported: true });
    // Newer API versions repeat the input counts in message_delta.
    readEventUsage(
      { type: 'message_delta', usage: { input_tokens: 3, cache_read_input_tokens: 2500, output_tokens: 41 } },
      acc,
    );
    expect(counts(acc)).toEqual({ input: 2503, output: 41, write: 0, read: 2500, reported: true });
  });

  it('Responses API: response.completed, response.incomplete and response.failed carry the usage', () => {
    for (const type of ['response.completed', 'response.incomplete', 'response.failed']) {
      const acc = newUsage();
      readEventUsage({ type: 'response.created', response: { usage: null } }, acc);
      expect(acc.inputReported).toBe(false);
      readEventUsage({ type, response: { usage: { input_tokens: 8, output_tokens: 3 } } }, acc);
      expect(counts(acc)).toMatchObject({ input: 8, output: 3, reported: true });
    }
  });

  it('OpenAI: the usage-only chunk is recognized (to hide it from a client that did not ask)', () => {
    const acc = newUsage();
    expect(readEventUsage({ choices: [{ delta: { content: 'x' } }], usage: null }, acc)).toBe(false);
    expect(readEventUsage({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2 } }, acc)).toBe(
      true,
    );
    expect(counts(acc)).toMatchObject({ input: 5, output: 2, reported: true });
    // Usage on a chunk that still has choices (some compatible servers) is read but not hidden.
    expect(
      readEventUsage(
        {
          choices: [{ delta: {}, finish_reason: 'stop' }],
          usage: { prompt_tokens: 5, completion_tokens: 2 },
        },
        newUsage(),
      ),
    ).toBe(false);
  });

  it('Gemini chunks: the last usageMetadata wins', () => {
    const acc = newUsage();
    readEventUsage({ usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 1 } }, acc);
    readEventUsage({ usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 14 } }, acc);
    expect(counts(acc)).toMatchObject({ input: 9, output: 14 });
  });
});

describe('estimateJsonOutput', () => {
  const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));
  it('counts the answer text of the known shapes at 4 bytes a token', () => {
    const chat = { choices: [{ message: { content: 'x'.repeat(40) } }] };
    expect(estimateJsonOutput(chat, bytes(chat))).toBe(10);
    const anthropic = { content: [{ type: 'text', text: 'y'.repeat(21) }] };
    expect(estimateJsonOutput(anthropic, bytes(anthropic))).toBe(6);
    const responses = {
      output: [{ type: 'message', content: [{ type: 'output_text', text: 'z'.repeat(8) }] }],
    };
    expect(estimateJsonOutput(responses, bytes(responses))).toBe(2);
    const gemini = { candidates: [{ content: { parts: [{ text: 'g'.repeat(12) }] } }] };
    expect(estimateJsonOutput(gemini, bytes(gemini))).toBe(3);
  });

  it('embeddings have no output; an unknown shape counts its whole body, never nothing', () => {
    expect(estimateJsonOutput({ object: 'list', data: [{ embedding: [0.1] }] }, 5000)).toBe(0);
    expect(estimateJsonOutput({ result: 'something' }, 41)).toBe(11);
  });
});

describe('stream_options', () => {
  it('is needed for a stream whose client did not set include_usage, and keeps the other options', () => {
    expect(needsStreamUsage({ stream: true })).toBe(true);
    expect(needsStreamUsage({ stream: true, stream_options: { include_usage: false } })).toBe(true);
    expect(needsStreamUsage({ stream: true, stream_options: { include_usage: true } })).toBe(false);
    expect(needsStreamUsage({ stream: false })).toBe(false);
    expect(needsStreamUsage({})).toBe(false);
    expect(withStreamUsage({ stream: true, stream_options: { include_obfuscation: false } })).toEqual({
      stream: true,
      stream_options: { include_obfuscation: false, include_usage: true },
    });
  });
});
