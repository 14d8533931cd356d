import { count, isObj, type Obj, type ResponseTranslator, readError, str } from './common.js';
import { SseTranslator } from './sse.js';

/**
 * OpenAI Chat Completions answer → Anthropic Messages answer (whole, streamed, error), for a Messages
 * client calling a model whose provider speaks the OpenAI format. Only the first choice is read (the
 * translated request never asks for more).
 */

const STOP: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};
const stopReason = (finish: unknown): string => STOP[str(finish) ?? ''] ?? 'end_turn';

/** OpenAI usage (input including cached tokens) as Anthropic counts it (input excluding cache reads). */
function messagesUsage(u: unknown): Obj {
  const o = isObj(u) ? u : {};
  const details = isObj(o.prompt_tokens_details) ? o.prompt_tokens_details : {};
  const prompt = count(o.prompt_tokens);
  const cached = Math.min(count(details.cached_tokens), prompt);
  return {
    input_tokens: prompt - cached,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: count(o.completion_tokens),
  };
}

/** A tool call's arguments as the object Anthropic's `input` is (an unreadable string is kept whole). */
function toolInput(args: unknown): Obj {
  if (typeof args !== 'string' || args.trim().length === 0) return {};
  try {
    const input: unknown = JSON.parse(args);
    if (isObj(input)) return input;
  } catch {
    // Below.
  }
  return { arguments: args };
}

function completionToMessage(completion: unknown): Obj {
  const c = isObj(completion) ? completion : {};
  const choice = Array.isArray(c.choices) && isObj(c.choices[0]) ? c.choices[0] : {};
  const message = isObj(choice.message) ? choice.message : {};
  const content: Obj[] = [];
  const text = str(message.content) ?? str(message.refusal);
  if (text) content.push({ type: 'text', text });
  for (const call of Array.isArray(message.tool_calls) ? message.tool_calls : []) {
    if (!isObj(call) || !isObj(call.function)) continue;
    content.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: toolInput(call.function.arguments),
    });
  }
  return {
    id: c.id,
    type: 'message',
    role: 'assistant',
    model: c.model,
    content,
    stop_reason: message.refusal ? 'refusal' : stopReason(choice.finish_reason),
    stop_sequence: null,
    usage: messagesUsage(c.usage),
  };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};
const errorType = (status: number) =>
  ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');

/** Anthropic's error shape, `{"type":"error","error":{"type","message"}}`, for an error of any provider. */
const messagesError = (status: number, body: Uint8Array): Obj => ({
  type: 'error',
  error: { type: errorType(status), message: readError(status, body).message },
});

type Block = { kind: 'text' } | { kind: 'tool'; call: number; id: string };

/**
 * `chat.completion.chunk`s → Anthropic's events: `message_start` at the first chunk, a text block for
 * content deltas, a tool_use block per tool call (its arguments as `input_json_delta`s), then, at
 * `[DONE]` (when the usage chunk has been seen), `message_delta` with the stop reason and usage and
 * `message_stop`. Input tokens are known only at the end: `message_start` says 0 and `message_delta`
 * carries them, as newer Messages API versions do.
 */
class ChatStreamToMessages extends SseTranslator {
  #started = false;
  #done = false;
  /** The index the next content block gets. */
  #next = 0;
  #open: Block | null = null;
  /** Tool calls (by id, else by their index in the chunks) whose block has been opened. */
  readonly #calls = new Set<string>();
  #finish: unknown = null;
  #usage: unknown = null;

  protected override onEnd(): void {
    // An upstream that ends its stream without `[DONE]` after a finish reason has still finished.
    if (this.#started && !this.#done && this.#finish !== null) this.#stop();
  }

  #emit(type: string, data: Obj): void {
    this.out.event(type, { type, ...data });
  }

  #start(chunk: Obj): void {
    if (this.#started) return;
    this.#started = true;
    this.#emit('message_start', {
      message: {
        id: chunk.id,
        type: 'message',
        role: 'assistant',
        model: chunk.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    });
  }

  #close(): void {
    if (!this.#open) return;
    this.#emit('content_block_stop', { index: this.#next - 1 });
    this.#open = null;
  }

  #openBlock(block: Block, content: Obj): void {
    this.#close();
    this.#emit('content_block_start', { index: this.#next, content_block: content });
    this.#next++;
    this.#open = block;
  }

  #text(text: string): void {
    if (this.#open?.kind !== 'text') this.#openBlock({ kind: 'text' }, { type: 'text', text: '' });
    this.#emit('content_block_delta', { index: this.#next - 1, delta: { type: 'text_delta', text } });
  }

  #toolDelta(call: Obj): void {
    const index = typeof call.index === 'number' ? call.index : 0;
    const id = str(call.id);
    const fn = isObj(call.function) ? call.function : {};
    const open = this.#open;
    // A call is its index, or its id where a server repeats one index for several calls.
    const same = open?.kind === 'tool' && open.call === index && (id === undefined || id === open.id);
    if (!same) {
      const seen = id ?? `#${index}`;
      // Blocks cannot be reopened: fragments of an earlier call after a later one began are dropped.
      if (this.#calls.has(seen)) return;
      this.#calls.add(seen);
      const blockId = id ?? `call_${index}`;
      this.#openBlock(
        { kind: 'tool', call: index, id: blockId },
        { type: 'tool_use', id: blockId, name: fn.name ?? '', input: {} },
      );
    }
    const args = fn.arguments;
    if (typeof args === 'string' && args.length > 0)
      this.#emit('content_block_delta', {
        index: this.#next - 1,
        delta: { type: 'input_json_delta', partial_json: args },
      });
  }

  #stop(): void {
    this.#done = true;
    this.#close();
    const usage = messagesUsage(this.#usage);
    this.#emit('message_delta', {
      delta: { stop_reason: stopReason(this.#finish), stop_sequence: null },
      usage,
    });
    this.#emit('message_stop', {});
  }

  protected override onDone(): void {
    if (this.#started && !this.#done) this.#stop();
  }

  protected onEvent(chunk: Obj): void {
    if (this.#done) return;
    if (isObj(chunk.error)) {
      this.#done = true;
      this.#emit('error', {
        error: { type: 'api_error', message: str(chunk.error.message) ?? 'The provider failed mid-answer' },
      });
      return;
    }
    this.#start(chunk);
    if (isObj(chunk.usage)) this.#usage = chunk.usage;
    const choice = Array.isArray(chunk.choices)
      ? chunk.choices.find((c) => isObj(c) && (c.index ?? 0) === 0)
      : null;
    if (!isObj(choice)) return;
    const delta = isObj(choice.delta) ? choice.delta : {};
    const text = str(delta.content) || str(delta.refusal);
    if (text) this.#text(text);
    if (Array.isArray(delta.tool_calls))
      for (const call of delta.tool_calls) if (isObj(call)) this.#toolDelta(call);
    if (choice.finish_reason != null) {
      this.#finish = choice.finish_reason;
      this.#close();
    }
  }
}

export function chatResponseToMessages(): ResponseTranslator {
  return {
    json: completionToMessage,
    error: messagesError,
    stream: () => new ChatStreamToMessages(),
  };
}
