import { count, isObj, type Obj, type ResponseTranslator, readError, str } from './common.js';
import { SseTranslator } from './sse.js';

/**
 * Anthropic Messages answer → OpenAI Chat Completions answer (whole, streamed, error), for a chat client
 * calling a model whose provider speaks the Messages format. Thinking blocks have no place in a chat
 * completion and are left out.
 */

const FINISH: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};
const finishReason = (stop: unknown): string => FINISH[str(stop) ?? ''] ?? 'stop';

/** Anthropic usage (input excluding cache reads and writes) as OpenAI counts it (input including them). */
function chatUsage(u: { input: number; output: number; cacheWrite: number; cacheRead: number }): Obj {
  const prompt = u.input + u.cacheWrite + u.cacheRead;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead },
  };
}

const usageOf = (u: unknown) => {
  const o = isObj(u) ? u : {};
  return {
    input: count(o.input_tokens),
    output: count(o.output_tokens),
    cacheWrite: count(o.cache_creation_input_tokens),
    cacheRead: count(o.cache_read_input_tokens),
  };
};

const toolCall = (block: Obj, index: number) => ({
  index,
  id: block.id,
  type: 'function',
  function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
});

function messageToCompletion(message: unknown): Obj {
  const m = isObj(message) ? message : {};
  let text: string | null = null;
  const calls: Obj[] = [];
  for (const block of Array.isArray(m.content) ? m.content : []) {
    if (!isObj(block)) continue;
    if (block.type === 'text' && typeof block.text === 'string') text = (text ?? '') + block.text;
    else if (block.type === 'tool_use') calls.push(toolCall(block, calls.length));
  }
  return {
    id: m.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: m.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text,
          refusal: null,
          ...(calls.length > 0 ? { tool_calls: calls.map(({ index: _, ...call }) => call) } : {}),
        },
        logprobs: null,
        finish_reason: finishReason(m.stop_reason),
      },
    ],
    usage: chatUsage(usageOf(m.usage)),
  };
}

/** An Anthropic error answer in OpenAI's shape, keeping Anthropic's error type when it says one. */
function chatError(status: number, body: Uint8Array): Obj {
  const { message, type } = readError(status, body);
  return {
    error: {
      message,
      type: type ?? (status >= 500 ? 'api_error' : 'invalid_request_error'),
      param: null,
      code: null,
    },
  };
}

/**
 * Anthropic's named events → `chat.completion.chunk`s: text deltas as content, each tool_use block as a
 * tool call (its id and name first, then its input JSON as argument fragments), the stop reason and
 * output count from `message_delta`, `[DONE]` at `message_stop`. With `include_usage`, a last chunk
 * (`choices: []`) carries the usage, as OpenAI sends it.
 */
class MessagesStreamToChat extends SseTranslator {
  #id: unknown = null;
  #model: unknown = null;
  readonly #created = Math.floor(Date.now() / 1000);
  /** Content block index → its tool call's index among the answer's tool calls. */
  readonly #tools = new Map<number, number>();
  #usage = { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 };

  constructor(private readonly includeUsage: boolean) {
    super();
  }

  #chunk(delta: Obj, finish: string | null = null): void {
    this.out.event(null, {
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#created,
      model: this.#model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  }

  protected onEvent(e: Obj): void {
    switch (e.type) {
      case 'message_start': {
        const message = isObj(e.message) ? e.message : {};
        this.#id = message.id;
        this.#model = message.model;
        this.#usage = { ...usageOf(message.usage), output: 0 };
        this.#chunk({ role: 'assistant', content: '' });
        return;
      }
      case 'content_block_start': {
        const block = isObj(e.content_block) ? e.content_block : {};
        if (block.type === 'text' && typeof block.text === 'string' && block.text.length > 0)
          this.#chunk({ content: block.text });
        else if (block.type === 'tool_use') {
          const index = this.#tools.size;
          this.#tools.set(count(e.index), index);
          this.#chunk({
            tool_calls: [
              { index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } },
            ],
          });
        }
        return;
      }
      case 'content_block_delta': {
        const delta = isObj(e.delta) ? e.delta : {};
        if (delta.type === 'text_delta' && typeof delta.text === 'string')
          this.#chunk({ content: delta.text });
        else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
          const index = this.#tools.get(count(e.index));
          if (index !== undefined && delta.partial_json.length > 0)
            this.#chunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] });
        }
        return;
      }
      case 'message_delta': {
        const u = isObj(e.usage) ? e.usage : {};
        const usage = this.#usage;
        // Cumulative counts; input and cache counts appear here only in newer API versions.
        if (typeof u.output_tokens === 'number') usage.output = count(u.output_tokens);
        if (typeof u.input_tokens === 'number') usage.input = count(u.input_tokens);
        if (typeof u.cache_creation_input_tokens === 'number')
          usage.cacheWrite = count(u.cache_creation_input_tokens);
        if (typeof u.cache_read_input_tokens === 'number') usage.cacheRead = count(u.cache_read_input_tokens);
        const delta = isObj(e.delta) ? e.delta : {};
        this.#chunk({}, finishReason(delta.stop_reason));
        return;
      }
      case 'message_stop':
        if (this.includeUsage)
          this.out.event(null, {
            id: this.#id,
            object: 'chat.completion.chunk',
            created: this.#created,
            model: this.#model,
            choices: [],
            usage: chatUsage(this.#usage),
          });
        this.out.event(null, '[DONE]');
        return;
      case 'error': {
        const error = isObj(e.error) ? e.error : {};
        this.out.event(null, {
          error: {
            message: str(error.message) ?? 'The provider failed mid-answer',
            type: str(error.type) ?? 'api_error',
            param: null,
            code: null,
          },
        });
        return;
      }
    }
  }
}

export function messagesResponseToChat(opts: { includeUsage: boolean }): ResponseTranslator {
  return {
    json: messageToCompletion,
    error: chatError,
    stream: () => new MessagesStreamToChat(opts.includeUsage),
  };
}
