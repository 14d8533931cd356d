import { num } from './types.js';

/**
 * One usage reader for every answer the gateway forwards, /v1 and pass-through alike: it recognizes the
 * providers' shapes by their fields, not by which provider was called (a pass-through call to
 * `/gateway/openai/v1/responses` answers in the Responses API's shape, not chat completions').
 *
 * Counts are normalized: `inputTokens` is every input token, cached or not (OpenAI's `prompt_tokens`
 * and the Responses API's `input_tokens` already are; Anthropic's `input_tokens` is only the uncached
 * part, so its cache counts are added); the two cache counts say how many of them were written to and
 * read from the provider's prompt cache.
 */
export interface UsageAccumulator {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  /** USD the provider reported for the call (`usage.cost`, as OpenRouter-style upstreams do), else null. */
  costUsd: number | null;
  /** The input count came from the provider. */
  inputReported: boolean;
  /** The output count came from the provider (for Anthropic streams: the final `message_delta`). */
  outputReported: boolean;
  /** Content-delta events seen in a stream (the output estimate when no usage arrives). */
  chunks: number;
}

export function newUsage(): UsageAccumulator {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationInputTokens: 0,
    cacheReadInputTokens: 0,
    costUsd: null,
    inputReported: false,
    outputReported: false,
    chunks: 0,
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Obj, k: string) => typeof o[k] === 'number';

function reportCost(u: Obj, acc: UsageAccumulator): void {
  const cost = u.cost;
  if (typeof cost === 'number' && Number.isFinite(cost) && cost >= 0) acc.costUsd = cost;
}

function set(acc: UsageAccumulator, input: number, output: number, write: number, read: number): void {
  acc.inputTokens = input;
  acc.outputTokens = output;
  acc.cacheCreationInputTokens = Math.min(write, input);
  acc.cacheReadInputTokens = Math.min(read, input - acc.cacheCreationInputTokens);
  // A usage object of zeros is no report: a real call always has input.
  if (input + output > 0) {
    acc.inputReported = true;
    acc.outputReported = true;
  }
}

/**
 * A `usage` object of any of the JSON shapes: OpenAI chat/completions/embeddings (`prompt_tokens`,
 * `completion_tokens`, `prompt_tokens_details.cached_tokens`), Anthropic (`input_tokens` plus
 * `cache_creation_input_tokens` / `cache_read_input_tokens`), the Responses API (`input_tokens`,
 * `output_tokens`, `input_tokens_details.cached_tokens`). False when it is none of them.
 */
export function readUsageObject(u: unknown, acc: UsageAccumulator): boolean {
  if (!isObj(u)) return false;
  reportCost(u, acc);
  if (has(u, 'prompt_tokens') || has(u, 'completion_tokens')) {
    const details = u.prompt_tokens_details;
    set(
      acc,
      num(u.prompt_tokens),
      num(u.completion_tokens),
      0,
      isObj(details) ? num(details.cached_tokens) : 0,
    );
    return true;
  }
  if (has(u, 'input_tokens') || has(u, 'output_tokens')) {
    if ('cache_creation_input_tokens' in u || 'cache_read_input_tokens' in u) {
      // Anthropic: input_tokens excludes what was written to or read from the cache.
      const write = num(u.cache_creation_input_tokens);
      const read = num(u.cache_read_input_tokens);
      set(acc, num(u.input_tokens) + write + read, num(u.output_tokens), write, read);
    } else {
      const details = u.input_tokens_details;
      set(acc, num(u.input_tokens), num(u.output_tokens), 0, isObj(details) ? num(details.cached_tokens) : 0);
    }
    return true;
  }
  return false;
}

/** Gemini's native `usageMetadata` (generateContent; each streamed chunk carries the totals so far). */
function readGeminiUsage(m: unknown, acc: UsageAccumulator): boolean {
  if (!isObj(m) || !(has(m, 'promptTokenCount') || has(m, 'candidatesTokenCount'))) return false;
  // Thinking and tool-use prompt tokens are billed as output and input respectively.
  set(
    acc,
    num(m.promptTokenCount) + num(m.toolUsePromptTokenCount),
    num(m.candidatesTokenCount) + num(m.thoughtsTokenCount),
    0,
    num(m.cachedContentTokenCount),
  );
  return true;
}

/** Usage in a whole JSON answer; false when it has none that can be read. */
export function readJsonUsage(body: unknown, acc: UsageAccumulator): boolean {
  if (Array.isArray(body)) {
    // Gemini's streamGenerateContent without `alt=sse`: an array of chunks, the last with the totals.
    for (let i = body.length - 1; i >= 0; i--) if (readJsonUsage(body[i], acc)) return true;
    return false;
  }
  if (!isObj(body)) return false;
  if (readUsageObject(body.usage, acc)) return true;
  if (readGeminiUsage(body.usageMetadata, acc)) return true;
  // A Responses API object nested in an envelope (`{ response: { usage } }`), as its stream events are.
  return isObj(body.response) && readUsageObject(body.response.usage, acc);
}

/**
 * Folds one streamed event that mentions usage into the running totals: OpenAI chat chunks (the final
 * one with `include_usage`), Responses API `response.completed` / `response.incomplete` /
 * `response.failed`, Anthropic `message_start` (input and cache counts) and cumulative `message_delta`,
 * Gemini chunks with `usageMetadata`. Returns true for an OpenAI usage-only chunk (`choices: []`), the
 * one a client that did not ask for usage must not see.
 */
export function readEventUsage(event: unknown, acc: UsageAccumulator): boolean {
  if (!isObj(event)) return false;
  const type = event.type;
  if (type === 'message_start') {
    const message = event.message;
    if (isObj(message) && isObj(message.usage)) {
      const output = acc.outputTokens;
      const outputReported = acc.outputReported;
      readUsageObject(message.usage, acc);
      // message_start's output count is a placeholder: the real one comes with message_delta.
      acc.outputTokens = Math.max(output, acc.outputTokens);
      acc.outputReported = outputReported;
    }
    return false;
  }
  if (type === 'message_delta') {
    const u = event.usage;
    if (!isObj(u)) return false;
    // Cumulative counts; input and cache counts appear here only in newer API versions.
    if (has(u, 'output_tokens')) {
      acc.outputTokens = num(u.output_tokens);
      acc.outputReported = true;
    }
    if (
      has(u, 'input_tokens') ||
      has(u, 'cache_creation_input_tokens') ||
      has(u, 'cache_read_input_tokens')
    ) {
      const write = has(u, 'cache_creation_input_tokens')
        ? num(u.cache_creation_input_tokens)
        : acc.cacheCreationInputTokens;
      const read = has(u, 'cache_read_input_tokens')
        ? num(u.cache_read_input_tokens)
        : acc.cacheReadInputTokens;
      const uncached = has(u, 'input_tokens')
        ? num(u.input_tokens)
        : acc.inputTokens - acc.cacheCreationInputTokens - acc.cacheReadInputTokens;
      acc.inputTokens = uncached + write + read;
      acc.cacheCreationInputTokens = write;
      acc.cacheReadInputTokens = read;
      if (acc.inputTokens > 0) acc.inputReported = true;
    }
    reportCost(u, acc);
    return false;
  }
  if (typeof type === 'string' && type.startsWith('response.')) {
    const response = event.response;
    if (isObj(response)) readUsageObject(response.usage, acc);
    return false;
  }
  if (isObj(event.usage)) {
    readUsageObject(event.usage, acc);
    const choices = event.choices;
    return Array.isArray(choices) && choices.length === 0;
  }
  readGeminiUsage(event.usageMetadata, acc);
  return false;
}

/** Text an answer's known shapes carry, for an output estimate when it reports no usage. */
function answerText(body: Obj): number | null {
  let chars = 0;
  let found = false;
  const add = (v: unknown) => {
    if (typeof v === 'string') {
      chars += Buffer.byteLength(v);
      found = true;
    }
  };
  if (Array.isArray(body.choices))
    for (const c of body.choices) {
      if (!isObj(c)) continue;
      if (isObj(c.message)) {
        add(c.message.content);
        if (Array.isArray(c.message.tool_calls))
          for (const t of c.message.tool_calls) if (isObj(t) && isObj(t.function)) add(t.function.arguments);
      }
      add(c.text);
    }
  if (Array.isArray(body.content))
    for (const b of body.content) {
      if (!isObj(b)) continue;
      add(b.text);
      add(b.thinking);
      if (b.input !== undefined) add(JSON.stringify(b.input));
    }
  if (Array.isArray(body.output))
    for (const o of body.output) {
      if (!isObj(o)) continue;
      if (Array.isArray(o.content)) for (const p of o.content) if (isObj(p)) add(p.text);
      add(o.arguments);
    }
  if (Array.isArray(body.candidates))
    for (const c of body.candidates)
      if (isObj(c) && isObj(c.content) && Array.isArray(c.content.parts))
        for (const p of c.content.parts) if (isObj(p)) add(p.text);
  return found ? chars : null;
}

/** An embeddings answer (`data[].embedding`): it has no output tokens. */
const isEmbeddings = (body: Obj) =>
  Array.isArray(body.data) && isObj(body.data[0]) && 'embedding' in body.data[0];

/**
 * Output tokens of a JSON answer that reports no usage, at about 4 bytes a token: its text where its
 * shape is known, else the whole body (an unknown shape is never counted as nothing); 0 for embeddings.
 */
export function estimateJsonOutput(body: unknown, bodyBytes: number): number {
  if (isObj(body)) {
    if (isEmbeddings(body)) return 0;
    const text = answerText(body);
    if (text !== null) return Math.ceil(text / 4);
  }
  return Math.ceil(bodyBytes / 4);
}

/** Substring of every streamed content event of the known shapes (OpenAI chunks, Anthropic and Responses deltas). */
export const DELTA_MARKER = '"delta"';

/**
 * Upstreams (credential entries of the snapshot store) that answered 400 to `stream_options`, as
 * OpenAI-compatible servers and Azure API versions older than the option do: their streams are not
 * asked for usage again (and are estimated) until the credential changes.
 */
const refusesStreamOptions = new WeakSet<object>();
export const streamOptionsRefused = (credential: object): boolean => refusesStreamOptions.has(credential);
export const rememberStreamOptionsRefused = (credential: object): void => {
  refusesStreamOptions.add(credential);
};

/**
 * Whether an OpenAI-format chat/completions request streams without asking for usage: the gateway then
 * asks for it upstream (`stream_options.include_usage`) and hides the extra chunk from the client.
 */
export function needsStreamUsage(json: Record<string, unknown>): boolean {
  if (json.stream !== true) return false;
  const options = json.stream_options;
  return !(isObj(options) && options.include_usage === true);
}

/** The request body with `stream_options.include_usage` set, the client's other stream options kept. */
export function withStreamUsage(json: Record<string, unknown>): Record<string, unknown> {
  const options = isObj(json.stream_options) ? json.stream_options : {};
  return { ...json, stream_options: { ...options, include_usage: true } };
}
