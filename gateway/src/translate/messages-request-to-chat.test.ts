import { describe, expect, it } from 'vitest';
import type { Obj } from './common.js';
import { messagesRequestToChat, withoutStreamOptions } from './messages-request-to-chat.js';

const translate = (json: Obj, streamUsage = true) =>
  messagesRequestToChat(json, { maxTokensField: 'max_completion_tokens', streamUsage });

const bashTool = {
  name: 'Bash',
  description: 'Executes a bash command',
  input_schema: {
    type: 'object',
    properties: { command: { type: 'string' }, timeout: { type: 'number' } },
    required: ['command'],
    additionalProperties: false,
    $schema: 'http://json-schema.org/draft-07/schema#',
  },
};

// Anthropic Messages requests (as the Anthropic SDK and Claude Code send them) and the chat request each becomes.
const cases: [string, Obj, Obj][] = [
  [
    'a string system prompt and a string user turn',
    {
      model: 'gpt-4o-mini',
      max_tokens: 1024,
      system: 'You are a helpful assistant.',
      messages: [{ role: 'user', content: 'Hello, Claude' }],
      temperature: 0.5,
      top_p: 0.9,
      stop_sequences: ['\n\nHuman:'],
      metadata: { user_id: 'user_abc' },
    },
    {
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Hello, Claude' },
      ],
      max_completion_tokens: 1024,
      temperature: 0.5,
      top_p: 0.9,
      stop: ['\n\nHuman:'],
    },
  ],
  [
    'Claude Code: system blocks with cache marks, tools, a tool round trip, streamed',
    {
      model: 'gpt-4o',
      max_tokens: 32000,
      stream: true,
      system: [
        { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: ' Be concise.' },
      ],
      messages: [
        {
          role: 'user',
          content: [{ type: 'text', text: 'List the files', cache_control: { type: 'ephemeral' } }],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'I should run ls.', signature: 'sig' },
            { type: 'text', text: 'Running ls.' },
            { type: 'tool_use', id: 'toolu_01A', name: 'Bash', input: { command: 'ls' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_01A', content: 'README.md\nsrc' },
            { type: 'text', text: 'Now count them.' },
          ],
        },
      ],
      tools: [{ ...bashTool, cache_control: { type: 'ephemeral' } }],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      thinking: { type: 'enabled', budget_tokens: 4000 },
    },
    {
      messages: [
        { role: 'system', content: 'You are Claude Code. Be concise.' },
        { role: 'user', content: 'List the files' },
        {
          role: 'assistant',
          content: 'Running ls.',
          tool_calls: [
            { id: 'toolu_01A', type: 'function', function: { name: 'Bash', arguments: '{"command":"ls"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01A', content: 'README.md\nsrc' },
        { role: 'user', content: 'Now count them.' },
      ],
      max_completion_tokens: 32000,
      tools: [
        {
          type: 'function',
          function: {
            name: 'Bash',
            description: 'Executes a bash command',
            parameters: bashTool.input_schema,
          },
        },
      ],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      stream: true,
      stream_options: { include_usage: true },
    },
  ],
  [
    'images (base64 and url), a tool result in text blocks, forced tool choice',
    {
      model: 'm',
      max_tokens: 10,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
            { type: 'text', text: 'Describe.' },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'look', input: {} }] },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't1',
              content: [{ type: 'text', text: 'a cat' }],
              is_error: false,
            },
          ],
        },
      ],
      tools: [{ name: 'look', input_schema: { type: 'object', properties: {} } }],
      tool_choice: { type: 'tool', name: 'look' },
    },
    {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
            { type: 'text', text: 'Describe.' },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'look', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 't1', content: 'a cat' },
      ],
      max_completion_tokens: 10,
      tools: [
        { type: 'function', function: { name: 'look', parameters: { type: 'object', properties: {} } } },
      ],
      tool_choice: { type: 'function', function: { name: 'look' } },
    },
  ],
  [
    'tool choice any and none',
    {
      model: 'm',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ name: 'a', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any' },
    },
    {
      messages: [{ role: 'user', content: 'x' }],
      max_completion_tokens: 5,
      tools: [{ type: 'function', function: { name: 'a', parameters: { type: 'object' } } }],
      tool_choice: 'required',
    },
  ],
];

const refused: [string, Obj, string][] = [
  ['no max_tokens', { model: 'm', messages: [{ role: 'user', content: 'x' }] }, 'max_tokens'],
  ['top_k', { model: 'm', max_tokens: 5, top_k: 5, messages: [{ role: 'user', content: 'x' }] }, 'top_k'],
  [
    'a server tool',
    {
      model: 'm',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }],
    },
    'tools[0].type',
  ],
  [
    'a PDF document',
    {
      model: 'm',
      max_tokens: 5,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' } },
          ],
        },
      ],
    },
    'messages[0].content[0].type',
  ],
  [
    'an image inside a tool result',
    {
      model: 'm',
      max_tokens: 5,
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't',
              content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' } }],
            },
          ],
        },
      ],
    },
    'messages[0].content[0].content[0].type',
  ],
  [
    'a system role in messages',
    { model: 'm', max_tokens: 5, messages: [{ role: 'system', content: 'x' }] },
    'messages[0].role',
  ],
  [
    'MCP servers',
    { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }], mcp_servers: [] },
    'mcp_servers',
  ],
];

describe('Anthropic Messages request → OpenAI chat request', () => {
  it.each(cases)('%s', (_name, messages, chat) => {
    const out = translate(messages);
    expect(out.ok).toBe(true);
    if (out.ok) expect(out.body).toEqual(chat);
  });

  it.each(refused)('refuses %s, naming the field', (_name, messages, field) => {
    const out = translate(messages);
    expect(out).toMatchObject({ ok: false, field });
    if (!out.ok) expect(out.message).toContain(`${field}:`);
  });

  it('asks for stream usage only where the provider takes the option, and drops it on request', () => {
    const json = { model: 'm', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'x' }] };
    const without = translate(json, false);
    expect(without.ok && without.body.stream_options).toBeUndefined();
    const asked = translate(json);
    expect(asked.ok && asked.body.stream_options).toEqual({ include_usage: true });
    if (asked.ok)
      expect(withoutStreamOptions(asked.body)).toEqual({ ...asked.body, stream_options: undefined });
    expect(messagesRequestToChat(json, { maxTokensField: 'max_tokens', streamUsage: false })).toMatchObject({
      ok: true,
      body: { max_tokens: 5 },
    });
  });
});
