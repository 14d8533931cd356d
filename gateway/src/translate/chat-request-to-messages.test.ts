import { describe, expect, it } from 'vitest';
import { chatRequestToMessages } from './chat-request-to-messages.js';
import type { Obj } from './common.js';

const translate = (json: Obj) => chatRequestToMessages(json, { defaultMaxTokens: 4096 });
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather in a given location',
    parameters: {
      type: 'object',
      properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['location'],
    },
  },
};
const weatherToolAnthropic = {
  name: 'get_weather',
  description: 'Get the current weather in a given location',
  input_schema: weatherTool.function.parameters,
};

// OpenAI Chat Completions requests (as the openai SDK sends them) and the Messages request each becomes.
const cases: [string, Obj, Obj][] = [
  [
    'a system prompt and a user turn, with the sampling fields that map',
    {
      model: 'claude-sonnet',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hello' },
      ],
      max_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      stop: 'END',
      user: 'user-1234',
      seed: 7,
      n: 1,
    },
    {
      system: [{ type: 'text', text: 'You are terse.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      max_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['END'],
      metadata: { user_id: 'user-1234' },
    },
  ],
  [
    'developer messages, max_completion_tokens and no cap (the default)',
    {
      model: 'm',
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 'Rule one.' }] },
        { role: 'system', content: 'Rule two.' },
        { role: 'user', content: 'Hi' },
      ],
      max_completion_tokens: 99,
    },
    {
      system: [
        { type: 'text', text: 'Rule one.' },
        { type: 'text', text: 'Rule two.' },
      ],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      max_tokens: 99,
    },
  ],
  [
    'images as a data URL and an https URL',
    {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'low' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    },
    {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
      max_tokens: 4096,
    },
  ],
  [
    'a tool round trip: tools, the assistant call with its id, two tool results and a follow-up',
    {
      model: 'm',
      messages: [
        { role: 'user', content: 'Weather in Paris and Oslo?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_abc',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
            },
            {
              id: 'call_def',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Oslo","unit":"celsius"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_abc', content: '18C, sunny' },
        { role: 'tool', tool_call_id: 'call_def', content: [{ type: 'text', text: '4C, rain' }] },
        { role: 'user', content: 'Thanks, and tomorrow?' },
      ],
      tools: [weatherTool],
      tool_choice: 'required',
      parallel_tool_calls: false,
      stream: true,
      stream_options: { include_usage: true },
    },
    {
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Oslo?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'call_abc', name: 'get_weather', input: { location: 'Paris' } },
            {
              type: 'tool_use',
              id: 'call_def',
              name: 'get_weather',
              input: { location: 'Oslo', unit: 'celsius' },
            },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_abc', content: [{ type: 'text', text: '18C, sunny' }] },
            { type: 'tool_result', tool_use_id: 'call_def', content: [{ type: 'text', text: '4C, rain' }] },
            { type: 'text', text: 'Thanks, and tomorrow?' },
          ],
        },
      ],
      max_tokens: 4096,
      tools: [weatherToolAnthropic],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stream: true,
    },
  ],
  [
    'an assistant turn with text and a named tool choice',
    {
      model: 'm',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Let me check.' },
        { role: 'user', content: 'Go on' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup' } }],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
    },
    {
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Let me check.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Go on' }] },
      ],
      max_tokens: 4096,
      tools: [{ name: 'lookup', input_schema: { type: 'object', properties: {} } }],
      tool_choice: { type: 'tool', name: 'lookup' },
    },
  ],
];

// Requests that use what the Messages API cannot do: a 400 naming the field.
const refused: [string, Obj, string][] = [
  ['several choices', { model: 'm', messages: [{ role: 'user', content: 'x' }], n: 2 }, 'n'],
  ['logprobs', { model: 'm', messages: [{ role: 'user', content: 'x' }], logprobs: true }, 'logprobs'],
  [
    'JSON mode',
    { model: 'm', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } },
    'response_format',
  ],
  [
    'logit bias',
    { model: 'm', messages: [{ role: 'user', content: 'x' }], logit_bias: { 50256: -100 } },
    'logit_bias',
  ],
  [
    'an unknown field',
    { model: 'm', messages: [{ role: 'user', content: 'x' }], frobnicate: 1 },
    'frobnicate',
  ],
  [
    'audio input',
    {
      model: 'm',
      messages: [
        { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] },
      ],
    },
    'messages[0].content[0].type',
  ],
  [
    'a system message after the conversation started',
    {
      model: 'm',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'system', content: 'late' },
      ],
    },
    'messages[1].role',
  ],
  [
    'tool call arguments that are not JSON',
    {
      model: 'm',
      messages: [
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }],
        },
      ],
    },
    'messages[0].tool_calls[0].function.arguments',
  ],
  [
    'an image type Anthropic does not take',
    {
      model: 'm',
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,AA' } }] },
      ],
    },
    'messages[0].content[0].image_url.url',
  ],
  [
    'legacy functions',
    { model: 'm', messages: [{ role: 'user', content: 'x' }], functions: [] },
    'functions',
  ],
  ['no messages', { model: 'm', messages: [] }, 'messages'],
];

describe('OpenAI chat request → Anthropic Messages request', () => {
  it.each(cases)('%s', (_name, chat, messages) => {
    const out = translate(chat);
    expect(out.ok).toBe(true);
    if (out.ok) expect(out.body).toEqual(messages);
  });

  it.each(refused)('refuses %s, naming the field', (_name, chat, field) => {
    const out = translate(chat);
    expect(out).toMatchObject({ ok: false, field });
    if (!out.ok) expect(out.message).toContain(`${field}:`);
  });
});
