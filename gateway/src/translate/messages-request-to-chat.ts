import { chatResponseToMessages } from './chat-response-to-messages.js';
import { isObj, type Obj, refuse, type TranslatedRequest, translating } from './common.js';

/**
 * Anthropic Messages request → OpenAI Chat Completions request, for a Messages client (Claude Code, the
 * Anthropic SDK) calling a model whose provider speaks the OpenAI format. Server tools, documents and
 * `top_k` have no chat counterpart and are refused (Unmappable → 400 naming the field); prompt-cache
 * marks, `metadata`, `service_tier` and `thinking` are dropped (the model reasons as it natively does and
 * the answer holds no thinking blocks, which a Messages answer may lack anyway).
 */

const imageUrl = (source: unknown, field: string): string => {
  if (!isObj(source)) return refuse(field, 'must be an object');
  if (source.type === 'base64' && typeof source.media_type === 'string' && typeof source.data === 'string')
    return `data:${source.media_type};base64,${source.data}`;
  if (source.type === 'url' && typeof source.url === 'string') return source.url;
  return refuse(`${field}.type`, 'only base64 and url image sources are supported');
};

/** Text of a block list (or a string) that may hold only text blocks. */
function textOf(content: unknown, field: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return refuse(field, 'must be a string or an array of text blocks');
  return content
    .map((block, i) => {
      if (!isObj(block) || block.type !== 'text' || typeof block.text !== 'string')
        return refuse(`${field}[${i}].type`, 'only text blocks are supported here');
      return block.text;
    })
    .join('');
}

/** A turn's content blocks with their field paths (text blocks checked to hold their text). */
function blocksOf(content: unknown, at: string): { block: Obj; field: string }[] {
  if (!Array.isArray(content)) return refuse(`${at}.content`, 'must be a string or an array of blocks');
  return content.map((block, i) => {
    const field = `${at}.content[${i}]`;
    if (!isObj(block)) return refuse(field, 'must be an object');
    if (block.type === 'text' && typeof block.text !== 'string')
      return refuse(`${field}.text`, 'must be a string');
    return { block, field };
  });
}

/** One Anthropic user turn → the chat messages it becomes: a `tool` message per tool_result, then the rest. */
function userTurn(content: unknown, at: string): Obj[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const tools: Obj[] = [];
  const parts: Obj[] = [];
  for (const { block, field } of blocksOf(content, at)) {
    switch (block.type) {
      case 'text':
        parts.push({ type: 'text', text: block.text });
        continue;
      case 'image':
        parts.push({ type: 'image_url', image_url: { url: imageUrl(block.source, `${field}.source`) } });
        continue;
      case 'tool_result':
        if (typeof block.tool_use_id !== 'string') refuse(`${field}.tool_use_id`, 'must be a string');
        tools.push({
          role: 'tool',
          tool_call_id: block.tool_use_id,
          content: block.content === undefined ? '' : textOf(block.content, `${field}.content`),
        });
        continue;
      default:
        refuse(`${field}.type`, `"${String(block.type)}" blocks are not supported`);
    }
  }
  // A turn of text parts only is sent as a string, the form every OpenAI-format server accepts.
  const textOnly = parts.every((p) => p.type === 'text');
  if (parts.length === 0) return tools;
  return [...tools, { role: 'user', content: textOnly ? parts.map((p) => p.text).join('') : parts }];
}

function assistantTurn(content: unknown, at: string): Obj {
  if (typeof content === 'string') return { role: 'assistant', content };
  let text: string | null = null;
  const calls: Obj[] = [];
  for (const { block, field } of blocksOf(content, at)) {
    switch (block.type) {
      case 'text':
        text = (text ?? '') + (block.text as string);
        continue;
      case 'tool_use':
        if (typeof block.id !== 'string') refuse(`${field}.id`, 'must be a string');
        if (typeof block.name !== 'string') refuse(`${field}.name`, 'must be a string');
        calls.push({
          id: block.id,
          type: 'function',
          function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
        });
        continue;
      // The model's own reasoning from earlier turns: no chat model takes it back.
      case 'thinking':
      case 'redacted_thinking':
        continue;
      default:
        refuse(`${field}.type`, `"${String(block.type)}" blocks are not supported`);
    }
  }
  return { role: 'assistant', content: text, ...(calls.length > 0 ? { tool_calls: calls } : {}) };
}

function translateMessages(messages: unknown): Obj[] {
  if (!Array.isArray(messages) || messages.length === 0)
    return refuse('messages', 'must be a non-empty array');
  return messages.flatMap((m, i) => {
    const at = `messages[${i}]`;
    if (!isObj(m)) return refuse(at, 'must be an object');
    if (m.role === 'user') return userTurn(m.content, at);
    if (m.role === 'assistant') return [assistantTurn(m.content, at)];
    return refuse(`${at}.role`, 'must be "user" or "assistant"');
  });
}

function translateTools(tools: unknown): Obj[] {
  if (!Array.isArray(tools)) return refuse('tools', 'must be an array');
  return tools.map((tool, i) => {
    const at = `tools[${i}]`;
    if (!isObj(tool)) return refuse(at, 'must be an object');
    // Server tools (web search, code execution, bash, text editor…) carry a versioned type.
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom')
      return refuse(
        `${at}.type`,
        `"${String(tool.type)}" tools run on Anthropic's side and are not supported`,
      );
    if (typeof tool.name !== 'string') return refuse(`${at}.name`, 'must be a string');
    return {
      type: 'function',
      function: {
        name: tool.name,
        ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
        parameters: isObj(tool.input_schema) ? tool.input_schema : { type: 'object', properties: {} },
      },
    };
  });
}

function translateToolChoice(choice: unknown): unknown {
  if (!isObj(choice)) return refuse('tool_choice', 'must be an object');
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      if (typeof choice.name !== 'string') return refuse('tool_choice.name', 'must be a string');
      return { type: 'function', function: { name: choice.name } };
    default:
      return refuse('tool_choice.type', 'must be "auto", "any", "tool" or "none"');
  }
}

/** Fields that tune only Anthropic's side of a call (or ask for reasoning the model does its own way). */
const DROPPED = new Set(['model', 'metadata', 'service_tier', 'thinking']);
const HANDLED = new Set([
  'messages',
  'system',
  'max_tokens',
  'temperature',
  'top_p',
  'stop_sequences',
  'stream',
  'tools',
  'tool_choice',
]);

export interface MessagesToChatOptions {
  /** The field that caps output at this provider: `max_completion_tokens` (OpenAI, Azure) or `max_tokens`. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Ask the upstream for usage in streams (`stream_options.include_usage`), as the gateway meters it. */
  streamUsage: boolean;
}

export function messagesRequestToChat(json: Obj, opts: MessagesToChatOptions): TranslatedRequest {
  return translating('OpenAI Chat Completions', () => {
    for (const field of Object.keys(json)) {
      if (DROPPED.has(field) || HANDLED.has(field)) continue;
      refuse(field, 'is not supported for this model');
    }
    const messages = translateMessages(json.messages);
    if (json.system != null) {
      const system = textOf(json.system, 'system');
      if (system.length > 0) messages.unshift({ role: 'system', content: system });
    }
    const body: Obj = { messages };
    const cap = json.max_tokens;
    if (!(typeof cap === 'number' && Number.isInteger(cap) && cap > 0))
      refuse('max_tokens', 'must be a positive integer');
    body[opts.maxTokensField] = cap;
    if (json.temperature != null) body.temperature = json.temperature;
    if (json.top_p != null) body.top_p = json.top_p;
    if (json.stop_sequences != null) {
      const stop = json.stop_sequences;
      if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string'))
        refuse('stop_sequences', 'must be an array of strings');
      if (stop.length > 0) body.stop = stop;
    }
    const hasTools = Array.isArray(json.tools) ? json.tools.length > 0 : json.tools != null;
    if (hasTools) {
      body.tools = translateTools(json.tools);
      if (json.tool_choice != null) {
        body.tool_choice = translateToolChoice(json.tool_choice);
        if (isObj(json.tool_choice) && json.tool_choice.disable_parallel_tool_use === true)
          body.parallel_tool_calls = false;
      }
    }
    const stream = json.stream === true;
    if (stream) {
      body.stream = true;
      if (opts.streamUsage) body.stream_options = { include_usage: true };
    }
    return { body, response: chatResponseToMessages() };
  });
}

/** The same chat request without `stream_options`, for an upstream that refuses the option. */
export function withoutStreamOptions(body: Obj): Obj {
  const { stream_options: _, ...rest } = body;
  return rest;
}
