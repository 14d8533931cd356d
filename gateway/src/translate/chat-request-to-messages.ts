import { isObj, type Obj, refuse, str, type TranslatedRequest, translating } from './common.js';
import { messagesResponseToChat } from './messages-response-to-chat.js';

/**
 * OpenAI Chat Completions request → Anthropic Messages request, for a chat client calling a model whose
 * provider speaks the Messages format. Fields with no Anthropic counterpart that change the answer are
 * refused (Unmappable → 400 naming the field); fields that only tune the provider's side (`seed`,
 * `store`, `service_tier`…) are dropped.
 */

/** Media types the Messages API accepts for base64 images. */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** An OpenAI `image_url` part's URL as an Anthropic image source. */
function imageSource(url: unknown, field: string): Obj {
  if (typeof url !== 'string') return refuse(field, 'must be a string');
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data) {
    const mediaType = (data[1] as string).toLowerCase();
    if (!IMAGE_TYPES.has(mediaType))
      return refuse(field, `images of type ${mediaType} are not supported (jpeg, png, gif, webp are)`);
    return { type: 'base64', media_type: mediaType, data: data[2] };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'url', url };
  return refuse(field, 'must be an http(s) URL or a base64 data URL');
}

/** A message's content (string or parts) as Anthropic content blocks; `allow` names the part types accepted. */
function contentBlocks(content: unknown, field: string, allow: ReadonlySet<string>): Obj[] {
  if (typeof content === 'string') return content.length > 0 ? [{ type: 'text', text: content }] : [];
  if (content === null || content === undefined) return [];
  if (!Array.isArray(content)) return refuse(field, 'must be a string or an array of content parts');
  return content.map((part, i): Obj => {
    const at = `${field}[${i}]`;
    if (!isObj(part)) return refuse(at, 'must be an object');
    const type = str(part.type) ?? '';
    if (!allow.has(type)) return refuse(`${at}.type`, `"${type}" parts are not supported here`);
    if (type === 'image_url') {
      const image = part.image_url;
      return { type: 'image', source: imageSource(isObj(image) ? image.url : image, `${at}.image_url.url`) };
    }
    const text = part[type === 'refusal' ? 'refusal' : 'text'];
    if (typeof text !== 'string') return refuse(`${at}.${type}`, 'must be a string');
    return { type: 'text', text };
  });
}

const USER_PARTS = new Set(['text', 'image_url']);
const TEXT_PARTS = new Set(['text']);
const ASSISTANT_PARTS = new Set(['text', 'refusal']);

function toolUse(call: unknown, field: string): Obj {
  if (!isObj(call)) return refuse(field, 'must be an object');
  if (call.type !== undefined && call.type !== 'function')
    return refuse(`${field}.type`, `"${String(call.type)}" tool calls are not supported`);
  const fn = call.function;
  if (!isObj(fn) || typeof fn.name !== 'string') return refuse(`${field}.function.name`, 'must be a string');
  if (typeof call.id !== 'string') return refuse(`${field}.id`, 'must be a string');
  let input: unknown = {};
  const args = fn.arguments;
  if (typeof args === 'string' && args.trim().length > 0) {
    try {
      input = JSON.parse(args);
    } catch {
      return refuse(`${field}.function.arguments`, 'must be a JSON object');
    }
  }
  if (!isObj(input)) return refuse(`${field}.function.arguments`, 'must be a JSON object');
  return { type: 'tool_use', id: call.id, name: fn.name, input };
}

/** `messages` → Anthropic `system` (leading system/developer messages) and alternating `messages`. */
function translateMessages(messages: unknown): { system: Obj[]; messages: Obj[] } {
  if (!Array.isArray(messages) || messages.length === 0)
    return refuse('messages', 'must be a non-empty array');
  const system: Obj[] = [];
  const out: { role: string; content: Obj[] }[] = [];
  const push = (role: string, blocks: Obj[]) => {
    const last = out.at(-1);
    // Consecutive turns of one role are one Anthropic turn (tool results, then the user's text).
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const [i, m] of messages.entries()) {
    const at = `messages[${i}]`;
    if (!isObj(m)) refuse(at, 'must be an object');
    switch (m.role) {
      case 'system':
      case 'developer':
        if (out.length > 0)
          refuse(`${at}.role`, `${m.role} messages are supported only before the conversation starts`);
        system.push(...contentBlocks(m.content, `${at}.content`, TEXT_PARTS));
        continue;
      case 'user':
        push('user', contentBlocks(m.content, `${at}.content`, USER_PARTS));
        continue;
      case 'assistant': {
        if (m.function_call != null) refuse(`${at}.function_call`, 'use tool_calls');
        if (m.audio != null) refuse(`${at}.audio`, 'audio is not supported');
        const blocks = contentBlocks(m.content, `${at}.content`, ASSISTANT_PARTS);
        if (m.tool_calls != null) {
          if (!Array.isArray(m.tool_calls)) refuse(`${at}.tool_calls`, 'must be an array');
          for (const [j, call] of m.tool_calls.entries())
            blocks.push(toolUse(call, `${at}.tool_calls[${j}]`));
        }
        push('assistant', blocks);
        continue;
      }
      case 'tool': {
        if (typeof m.tool_call_id !== 'string') refuse(`${at}.tool_call_id`, 'must be a string');
        const content = contentBlocks(m.content, `${at}.content`, TEXT_PARTS);
        push('user', [
          { type: 'tool_result', tool_use_id: m.tool_call_id, ...(content.length > 0 ? { content } : {}) },
        ]);
        continue;
      }
      default:
        refuse(`${at}.role`, `"${String(m.role)}" messages are not supported`);
    }
  }
  return { system, messages: out };
}

function translateTools(tools: unknown): Obj[] {
  if (!Array.isArray(tools)) return refuse('tools', 'must be an array');
  return tools.map((tool, i) => {
    const at = `tools[${i}]`;
    if (!isObj(tool) || tool.type !== 'function')
      return refuse(`${at}.type`, 'only function tools are supported');
    const fn = tool.function;
    if (!isObj(fn) || typeof fn.name !== 'string') return refuse(`${at}.function.name`, 'must be a string');
    return {
      name: fn.name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      input_schema: isObj(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
    };
  });
}

function translateToolChoice(choice: unknown): Obj {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  if (isObj(choice) && choice.type === 'function' && isObj(choice.function)) {
    const name = choice.function.name;
    if (typeof name === 'string') return { type: 'tool', name };
  }
  return refuse('tool_choice', 'must be "auto", "none", "required" or a named function');
}

/** Fields that tune only the provider's side of a call: dropped, the answer is the same without them. */
const DROPPED = new Set(['model', 'seed', 'store', 'metadata', 'service_tier', 'prompt_cache_key']);

/** Fields accepted only at their no-op value (anything else changes the answer in a way Messages cannot). */
const NO_OP: Record<string, (v: unknown) => boolean> = {
  n: (v) => v === 1 || v == null,
  logprobs: (v) => v === false || v == null,
  frequency_penalty: (v) => v === 0 || v == null,
  presence_penalty: (v) => v === 0 || v == null,
  response_format: (v) => v == null || (isObj(v) && v.type === 'text'),
  modalities: (v) => v == null || (Array.isArray(v) && v.length === 1 && v[0] === 'text'),
};

const HANDLED = new Set([
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'stream',
  'stream_options',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'user',
  'safety_identifier',
]);

export interface ChatToMessagesOptions {
  /** `max_tokens` when the client states none (the Messages API requires one). */
  defaultMaxTokens: number;
}

export function chatRequestToMessages(json: Obj, opts: ChatToMessagesOptions): TranslatedRequest {
  return translating('Anthropic Messages', () => {
    for (const field of Object.keys(json)) {
      if (DROPPED.has(field) || HANDLED.has(field)) continue;
      const noOp = NO_OP[field];
      if (noOp) {
        if (!noOp(json[field])) refuse(field, 'has no equivalent in the Messages API');
        continue;
      }
      refuse(field, 'is not supported for this model');
    }
    const { system, messages } = translateMessages(json.messages);
    const body: Obj = {};
    if (system.length > 0) body.system = system;
    body.messages = messages;
    const cap = json.max_completion_tokens ?? json.max_tokens;
    if (cap != null && !(typeof cap === 'number' && Number.isInteger(cap) && cap > 0))
      refuse(
        json.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens',
        'must be a positive integer',
      );
    body.max_tokens = cap ?? opts.defaultMaxTokens;
    if (json.temperature != null) body.temperature = json.temperature;
    if (json.top_p != null) body.top_p = json.top_p;
    if (json.stop != null) {
      const stop = typeof json.stop === 'string' ? [json.stop] : json.stop;
      if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string'))
        refuse('stop', 'must be a string or an array of strings');
      body.stop_sequences = stop;
    }
    const user = str(json.user) ?? str(json.safety_identifier);
    if (user !== undefined) body.metadata = { user_id: user };
    const hasTools = json.tools != null && !(Array.isArray(json.tools) && json.tools.length === 0);
    if (hasTools) body.tools = translateTools(json.tools);
    if (json.tool_choice != null && hasTools) body.tool_choice = translateToolChoice(json.tool_choice);
    if (json.parallel_tool_calls === false && hasTools) {
      const choice = (body.tool_choice as Obj | undefined) ?? { type: 'auto' };
      if (choice.type !== 'none') body.tool_choice = { ...choice, disable_parallel_tool_use: true };
    }
    const stream = json.stream === true;
    if (stream) body.stream = true;
    const options = json.stream_options;
    const includeUsage = stream && isObj(options) && options.include_usage === true;
    return { body, response: messagesResponseToChat({ includeUsage }) };
  });
}
