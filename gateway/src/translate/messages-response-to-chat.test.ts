import { describe, expect, it } from 'vitest';
import type { Obj } from './common.js';
import { messagesResponseToChat } from './messages-response-to-chat.js';
import { SseParser } from './sse.js';

const translator = (includeUsage = false) => messagesResponseToChat({ includeUsage });

// Anthropic Messages answers and the chat completion each becomes (`created` aside).
const answers: [string, Obj, Obj][] = [
  [
    'text, with cache counts',
    {
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: 'Hi! My name is Claude.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 10,
        cache_creation_input_tokens: 1200,
        cache_read_input_tokens: 300,
        output_tokens: 12,
        service_tier: 'standard',
      },
    },
    {
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      object: 'chat.completion',
      model: 'claude-sonnet-4-5-20250929',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hi! My name is Claude.', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 1510,
        completion_tokens: 12,
        total_tokens: 1522,
        prompt_tokens_details: { cached_tokens: 300 },
      },
    },
  ],
  [
    'thinking, text and two tool calls',
    {
      id: 'msg_01Aq9w938a90dw8q',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'thinking', thinking: 'Two cities.', signature: 'EqQB' },
        { type: 'text', text: "I'll check both." },
        { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { location: 'Paris' } },
        {
          type: 'tool_use',
          id: 'toolu_01B',
          name: 'get_weather',
          input: { location: 'Oslo', unit: 'celsius' },
        },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 500, output_tokens: 80 },
    },
    {
      id: 'msg_01Aq9w938a90dw8q',
      object: 'chat.completion',
      model: 'claude-sonnet-4-5',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: "I'll check both.",
            refusal: null,
            tool_calls: [
              {
                id: 'toolu_01A',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
              },
              {
                id: 'toolu_01B',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"location":"Oslo","unit":"celsius"}' },
              },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 500,
        completion_tokens: 80,
        total_tokens: 580,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    },
  ],
  [
    'cut at max_tokens, a tool call only',
    {
      id: 'msg_x',
      type: 'message',
      role: 'assistant',
      model: 'm',
      content: [{ type: 'tool_use', id: 'toolu_9', name: 'f', input: {} }],
      stop_reason: 'max_tokens',
      stop_sequence: null,
      usage: { input_tokens: 1, output_tokens: 2 },
    },
    {
      id: 'msg_x',
      object: 'chat.completion',
      model: 'm',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [{ id: 'toolu_9', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          logprobs: null,
          finish_reason: 'length',
        },
      ],
      usage: {
        prompt_tokens: 1,
        completion_tokens: 2,
        total_tokens: 3,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    },
  ],
];

const errors: [string, number, string, Obj][] = [
  [
    'an overloaded error',
    529,
    '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    { error: { message: 'Overloaded', type: 'overloaded_error', param: null, code: null } },
  ],
  [
    'an invalid request',
    400,
    '{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: 100000 > 64000"}}',
    {
      error: {
        message: 'max_tokens: 100000 > 64000',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    },
  ],
  [
    'a proxy page that is not JSON',
    502,
    '<html>Bad Gateway</html>',
    { error: { message: '<html>Bad Gateway</html>', type: 'api_error', param: null, code: null } },
  ],
];

const ev = (type: string, data: Obj) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** A streamed Anthropic answer: text, then a tool call whose input arrives in pieces. */
const toolStream = [
  ev('message_start', {
    message: {
      id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 472,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 28,
        output_tokens: 2,
      },
    },
  }),
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  ev('ping', {}),
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Okay, ' } }),
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'let’s check ✓' } }),
  ev('content_block_stop', { index: 0 }),
  ev('content_block_start', {
    index: 1,
    content_block: { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: {} },
  }),
  ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '' } }),
  ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"location":' } }),
  ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: ' "Paris"}' } }),
  ev('content_block_stop', { index: 1 }),
  ev('message_delta', {
    delta: { stop_reason: 'tool_use', stop_sequence: null },
    usage: { output_tokens: 89 },
  }),
  ev('message_stop', {}),
].join('');

const chunk = (delta: Obj, finish: string | null = null) => ({
  id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
  object: 'chat.completion.chunk',
  model: 'claude-sonnet-4-5',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
});
const toolChunks = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Okay, ' }),
  chunk({ content: 'let’s check ✓' }),
  chunk({
    tool_calls: [
      {
        index: 0,
        id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
        type: 'function',
        function: { name: 'get_weather', arguments: '' },
      },
    ],
  }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: ' "Paris"}' } }] }),
  chunk({}, 'tool_calls'),
];
const usageChunk = {
  id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
  object: 'chat.completion.chunk',
  model: 'claude-sonnet-4-5',
  choices: [],
  usage: {
    prompt_tokens: 500,
    completion_tokens: 89,
    total_tokens: 589,
    prompt_tokens_details: { cached_tokens: 28 },
  },
};

const streams: [string, string, boolean, unknown[]][] = [
  ['text and a tool call', toolStream, false, [...toolChunks, '[DONE]']],
  ['the same with include_usage', toolStream, true, [...toolChunks, usageChunk, '[DONE]']],
  [
    'an error event mid-stream',
    `${toolStream.slice(0, toolStream.indexOf('event: ping'))}${ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } })}`,
    false,
    [
      chunk({ role: 'assistant', content: '' }),
      { error: { message: 'Overloaded', type: 'overloaded_error', param: null, code: null } },
    ],
  ],
];

/** Runs a stream through a fresh translator cut into `size`-byte chunks; the data of each event out. */
function translateStream(input: string, size: number, includeUsage: boolean): unknown[] {
  const t = translator(includeUsage).stream();
  const parser = new SseParser();
  const bytes = new TextEncoder().encode(input);
  const out: unknown[] = [];
  const read = (b: Uint8Array | null) => {
    if (b) for (const e of parser.push(b)) out.push(e.data === '[DONE]' ? e.data : JSON.parse(e.data));
  };
  for (let i = 0; i < bytes.length; i += size) read(t.push(bytes.subarray(i, i + size)));
  read(t.end());
  return out.map((e) => (typeof e === 'object' && e !== null ? { ...e, created: undefined } : e));
}

describe('Anthropic Messages answer → OpenAI chat answer', () => {
  it.each(answers)('%s', (_name, message, completion) => {
    const out = translator().json(message) as Obj;
    expect(typeof out.created).toBe('number');
    expect({ ...out, created: undefined }).toEqual(completion);
  });

  it.each(errors)('%s becomes an OpenAI error', (_name, status, body, expected) => {
    expect(translator().error(status, new TextEncoder().encode(body))).toEqual(expected);
  });

  it.each(streams)(
    'streams %s, event by event, however the bytes are cut',
    (_name, input, includeUsage, expected) => {
      for (const size of [1, 7, 64, input.length])
        expect(translateStream(input, size, includeUsage)).toEqual(expected);
    },
  );

  it('passes each event on as soon as it is complete', () => {
    const t = translator().stream();
    const first = toolStream.slice(0, toolStream.indexOf('event: content_block_start'));
    expect(new TextDecoder().decode(t.push(new TextEncoder().encode(first)) ?? undefined)).toContain(
      '"role":"assistant"',
    );
    expect(t.push(new TextEncoder().encode('event: ping\ndata: {"type":"ping"}\n\n'))).toBeNull();
  });
});
