import { describe, expect, it } from 'vitest';
import { chatResponseToMessages } from './chat-response-to-messages.js';
import type { Obj } from './common.js';
import { SseParser } from './sse.js';

const translator = chatResponseToMessages;

// OpenAI chat completions and the Messages answer each becomes.
const answers: [string, Obj, Obj][] = [
  [
    'text, with cached prompt tokens',
    {
      id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
      object: 'chat.completion',
      created: 1741569952,
      model: 'gpt-4.1-2025-04-14',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Hello! How can I assist you today?',
            refusal: null,
            annotations: [],
          },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 1219,
        completion_tokens: 10,
        total_tokens: 1229,
        prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
      service_tier: 'default',
    },
    {
      id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4.1-2025-04-14',
      content: [{ type: 'text', text: 'Hello! How can I assist you today?' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 195,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 1024,
        output_tokens: 10,
      },
    },
  ],
  [
    'parallel tool calls',
    {
      id: 'chatcmpl-abc123',
      object: 'chat.completion',
      created: 1699896916,
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_abc123',
                type: 'function',
                function: { name: 'get_current_weather', arguments: '{\n"location": "Boston, MA"\n}' },
              },
              { id: 'call_def456', type: 'function', function: { name: 'get_time', arguments: '' } },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 82, completion_tokens: 17, total_tokens: 99 },
    },
    {
      id: 'chatcmpl-abc123',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o-mini',
      content: [
        {
          type: 'tool_use',
          id: 'call_abc123',
          name: 'get_current_weather',
          input: { location: 'Boston, MA' },
        },
        { type: 'tool_use', id: 'call_def456', name: 'get_time', input: {} },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 82,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 17,
      },
    },
  ],
  [
    'a refusal and a length cut',
    {
      id: 'chatcmpl-r',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: null, refusal: "I'm sorry, I can't help with that." },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 },
    },
    {
      id: 'chatcmpl-r',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o',
      content: [{ type: 'text', text: "I'm sorry, I can't help with that." }],
      stop_reason: 'refusal',
      stop_sequence: null,
      usage: {
        input_tokens: 5,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 9,
      },
    },
  ],
];

const errors: [string, number, string, Obj][] = [
  [
    'an OpenAI rate limit',
    429,
    '{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}}',
    { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limit reached for gpt-4o' } },
  ],
  [
    'an OpenAI invalid request',
    400,
    '{"error":{"message":"Invalid \'messages[1].content\'","type":"invalid_request_error","param":"messages[1].content","code":null}}',
    { type: 'error', error: { type: 'invalid_request_error', message: "Invalid 'messages[1].content'" } },
  ],
  [
    'an Azure content filter refusal',
    400,
    '{"error":{"code":"content_filter","message":"The response was filtered"}}',
    { type: 'error', error: { type: 'invalid_request_error', message: 'The response was filtered' } },
  ],
  [
    'a 503 with an empty body',
    503,
    '',
    { type: 'error', error: { type: 'api_error', message: 'The provider answered HTTP 503' } },
  ],
  [
    'a bad key',
    401,
    '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}',
    { type: 'error', error: { type: 'authentication_error', message: 'Incorrect API key provided' } },
  ],
];

const data = (o: unknown) => `data: ${typeof o === 'string' ? o : JSON.stringify(o)}\n\n`;
const c = (delta: Obj, finish: string | null = null, extra: Obj = {}) => ({
  id: 'chatcmpl-7',
  object: 'chat.completion.chunk',
  created: 1694268190,
  model: 'gpt-4o-mini',
  system_fingerprint: 'fp_44709d6fcb',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  ...extra,
});
const usage = {
  prompt_tokens: 120,
  completion_tokens: 33,
  total_tokens: 153,
  prompt_tokens_details: { cached_tokens: 20 },
};

/** An OpenAI stream with include_usage: text, then two tool calls whose arguments arrive in pieces. */
const toolStream = [
  c({ role: 'assistant', content: '', refusal: null }, null, { usage: null }),
  c({ content: 'Checking ' }, null, { usage: null }),
  c({ content: 'both…' }, null, { usage: null }),
  c(
    {
      tool_calls: [
        {
          index: 0,
          id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA',
          type: 'function',
          function: { name: 'get_weather', arguments: '' },
        },
      ],
    },
    null,
    { usage: null },
  ),
  c({ tool_calls: [{ index: 0, function: { arguments: '{"loc' } }] }, null, { usage: null }),
  c({ tool_calls: [{ index: 0, function: { arguments: 'ation":"Paris"}' } }] }, null, { usage: null }),
  c(
    {
      tool_calls: [
        { index: 1, id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ],
    },
    null,
    { usage: null },
  ),
  c({}, 'tool_calls', { usage: null }),
  {
    id: 'chatcmpl-7',
    object: 'chat.completion.chunk',
    created: 1694268190,
    model: 'gpt-4o-mini',
    choices: [],
    usage,
  },
  '[DONE]',
]
  .map(data)
  .join('');

const start = {
  type: 'message_start',
  message: {
    id: 'chatcmpl-7',
    type: 'message',
    role: 'assistant',
    model: 'gpt-4o-mini',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 0, output_tokens: 0 },
  },
};
const toolEvents = [
  ['message_start', start],
  [
    'content_block_start',
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  ],
  [
    'content_block_delta',
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Checking ' } },
  ],
  [
    'content_block_delta',
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'both…' } },
  ],
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  [
    'content_block_start',
    {
      type: 'content_block_start',
      index: 1,
      content_block: {
        type: 'tool_use',
        id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA',
        name: 'get_weather',
        input: {},
      },
    },
  ],
  [
    'content_block_delta',
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"loc' } },
  ],
  [
    'content_block_delta',
    {
      type: 'content_block_delta',
      index: 1,
      delta: { type: 'input_json_delta', partial_json: 'ation":"Paris"}' },
    },
  ],
  ['content_block_stop', { type: 'content_block_stop', index: 1 }],
  [
    'content_block_start',
    {
      type: 'content_block_start',
      index: 2,
      content_block: { type: 'tool_use', id: 'call_2', name: 'get_time', input: {} },
    },
  ],
  [
    'content_block_delta',
    { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{}' } },
  ],
  ['content_block_stop', { type: 'content_block_stop', index: 2 }],
  [
    'message_delta',
    {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: {
        input_tokens: 100,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 20,
        output_tokens: 33,
      },
    },
  ],
  ['message_stop', { type: 'message_stop' }],
];

const textOnly = [c({ role: 'assistant', content: '' }), c({ content: 'Hi' }), c({}, 'length')]
  .map(data)
  .join('');
const textEvents = (end: unknown[][]) => [
  ['message_start', start],
  [
    'content_block_start',
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  ],
  [
    'content_block_delta',
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
  ],
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  ...end,
];
const zeroUsage = {
  input_tokens: 0,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  output_tokens: 0,
};

const toolBlock = (index: number, id: string, name: string, json: string) => [
  [
    'content_block_start',
    { type: 'content_block_start', index, content_block: { type: 'tool_use', id, name, input: {} } },
  ],
  [
    'content_block_delta',
    { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json } },
  ],
  ['content_block_stop', { type: 'content_block_stop', index }],
];

const streams: [string, string, unknown[][]][] = [
  ['text and two tool calls, usage from the last chunk', toolStream, toolEvents],
  [
    'two whole tool calls in one chunk without indexes (as some OpenAI-compatible servers send them)',
    [
      c({
        role: 'assistant',
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
          { id: 'call_b', type: 'function', function: { name: 'g', arguments: '{}' } },
        ],
      }),
      c({}, 'tool_calls'),
      '[DONE]',
    ]
      .map(data)
      .join(''),
    [
      ['message_start', start],
      ...toolBlock(0, 'call_a', 'f', '{"x":1}'),
      ...toolBlock(1, 'call_b', 'g', '{}'),
      [
        'message_delta',
        { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: zeroUsage },
      ],
      ['message_stop', { type: 'message_stop' }],
    ],
  ],
  [
    'a stream without usage or [DONE] (an OpenAI-compatible server) still ends',
    textOnly,
    textEvents([
      [
        'message_delta',
        {
          type: 'message_delta',
          delta: { stop_reason: 'max_tokens', stop_sequence: null },
          usage: zeroUsage,
        },
      ],
      ['message_stop', { type: 'message_stop' }],
    ]),
  ],
  [
    'an error mid-stream',
    `${textOnly.slice(0, textOnly.lastIndexOf('data:'))}${data({ error: { message: 'The server had an error', type: 'server_error' } })}`,
    textEvents([
      ['error', { type: 'error', error: { type: 'api_error', message: 'The server had an error' } }],
    ]).filter(([name]) => name !== 'content_block_stop'),
  ],
];

/** Runs a stream through a fresh translator cut into `size`-byte chunks; each event out as [name, data]. */
function translateStream(input: string, size: number): unknown[][] {
  const t = translator().stream();
  const parser = new SseParser();
  const bytes = new TextEncoder().encode(input);
  const out: unknown[][] = [];
  const read = (b: Uint8Array | null) => {
    if (b) for (const e of parser.push(b)) out.push([e.event, JSON.parse(e.data)]);
  };
  for (let i = 0; i < bytes.length; i += size) read(t.push(bytes.subarray(i, i + size)));
  read(t.end());
  return out;
}

describe('OpenAI chat answer → Anthropic Messages answer', () => {
  it.each(answers)('%s', (_name, completion, message) => {
    expect(translator().json(completion)).toEqual(message);
  });

  it.each(errors)('%s becomes an Anthropic error', (_name, status, body, expected) => {
    expect(translator().error(status, new TextEncoder().encode(body))).toEqual(expected);
  });

  it.each(streams)('streams %s, event by event, however the bytes are cut', (_name, input, expected) => {
    for (const size of [1, 5, 100, input.length]) expect(translateStream(input, size)).toEqual(expected);
  });
});
