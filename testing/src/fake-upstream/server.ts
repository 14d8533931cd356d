import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { KEY_PRODUCT_PREFIX } from '@portcullis/shared/keys';
import { handleFakeMcp, isFakeMcpPath } from './mcp';

/**
 * A local stand-in for OpenAI, Anthropic, Azure OpenAI and Gemini, speaking their real JSON and SSE wire
 * formats with usage fields. Used by tests, benchmarks and the local demo; never by production traffic.
 *
 * As strict as the real providers on where and how it is called (see `gate`): only the providers' exact
 * paths, each with its own authentication, and their own 404/401 bodies otherwise. A gateway that builds
 * `/v1/v1/…` or sends the wrong auth header fails against it as it would against the provider.
 *
 * Usage as the providers report it: OpenAI chat completions carry `usage` (with
 * `prompt_tokens_details.cached_tokens`) in JSON answers and, in streams, only when asked with
 * `stream_options.include_usage` (then `"usage":null` on every chunk and a last chunk with
 * `choices: []`; `stream_options` without `stream: true` is a 400); the Responses API
 * (`POST …/responses`, JSON or SSE events ending in `response.completed`) carries `input_tokens` /
 * `output_tokens`; Anthropic messages carry `cache_creation_input_tokens` / `cache_read_input_tokens`:
 * a prompt prefix ending in a `cache_control` block of at least 1024 tokens is written to the cache on
 * first sight and read from it afterwards (per server, never expiring).
 *
 * Knobs, per request (headers) or for the whole server (options):
 * - `x-fake-latency-ms`: wait before answering (and between stream chunks, divided by chunk count).
 * - `x-fake-status`: answer with this HTTP status and a provider-shaped error body.
 * - `x-fake-omit-usage: 1`: answers and streams carry no usage at all (to exercise estimates).
 * - `x-fake-cached-tokens: N`: OpenAI-format answers report N of the prompt tokens as cached.
 * - `x-fake-usage-cost: USD`: OpenAI-format usage also reports its cost (`usage.cost`, as OpenRouter does).
 * - `x-fake-reject-stream-options: 1`: chat completions refuse `stream_options` with a 400, as Azure API
 *   versions older than the option and some OpenAI-compatible servers do.
 * - `x-fake-tool-call: 1`: a chat completion or message that offers tools, and whose last turn is not a
 *   tool result, answers by calling the first tool (arguments `{"query":"<the words>"}`, streamed in
 *   pieces), as the providers send tool calls; a request answering a call gets text as usual.
 */
export interface FakeUpstreamOptions {
  latencyMs?: number;
  /** Words in each completion; streamed one chunk per word. */
  words?: number;
  /** Keep every request for inspection (tests); off for long-running use (demo, benchmarks). */
  record?: boolean;
  /**
   * The one provider secret accepted. Unset: any non-empty secret except a Portcullis key (`ptcl_…`),
   * which reaching a provider would mean the gateway forwarded its client's own key.
   */
  apiKey?: string;
}

export interface FakeUpstream {
  url: string;
  /** Every request seen: method, path, headers and parsed JSON body. */
  requests: {
    method: string;
    path: string;
    headers: IncomingMessage['headers'];
    body: unknown;
    /** True once the caller closed the connection before the answer was complete. */
    aborted: boolean;
    /** True once the whole answer was written (a test can see a stream still going). */
    finished: boolean;
  }[];
  close: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : null);
      } catch {
        resolve(text);
      }
    });
  });
}

/** A deterministic token estimate for prompts: one token per 4 characters, at least 1. */
const countTokens = (value: unknown) => Math.max(1, Math.ceil(JSON.stringify(value ?? '').length / 4));

/** Anthropic caches nothing shorter than this (Sonnet and Opus models' minimum). */
const ANTHROPIC_MIN_CACHE_TOKENS = 1024;

type Json = Record<string, unknown>;
const hasCacheControl = (v: unknown) => typeof v === 'object' && v !== null && 'cache_control' in v;

/**
 * The prompt prefix an Anthropic request marks for caching: tools, then system, then messages, up to
 * and including the last block carrying `cache_control` (null when none does).
 */
function anthropicCachePrefix(b: Json): unknown[] | null {
  const parts: unknown[] = [];
  let end = -1;
  const push = (v: unknown) => {
    parts.push(v);
    if (hasCacheControl(v)) end = parts.length;
  };
  if (Array.isArray(b.tools)) for (const t of b.tools) push(t);
  if (Array.isArray(b.system)) for (const s of b.system) push(s);
  else if (b.system !== undefined) push(b.system);
  if (Array.isArray(b.messages))
    for (const m of b.messages as Json[]) {
      if (Array.isArray(m?.content)) for (const c of m.content) push({ role: m.role, ...(c as Json) });
      else push(m);
    }
  return end === -1 ? null : parts.slice(0, end);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** OpenAI refuses `stream_options` on a call that does not stream; answers as it does and says so. */
function refusedStreamOptions(
  res: ServerResponse,
  b: { stream?: unknown; stream_options?: unknown },
): boolean {
  if (b.stream_options == null || b.stream === true) return false;
  send(res, 400, {
    error: {
      message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      type: 'invalid_request_error',
      param: 'stream_options',
      code: null,
    },
  });
  return true;
}

function sse(res: ServerResponse): (event: string | null, data: unknown) => void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  return (event, data) => {
    res.write(
      `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`,
    );
  };
}

/** How a path authenticates and which provider's error bodies it speaks. */
type Wire = 'openai' | 'anthropic' | 'azure' | 'gemini' | 'gemini_openai';

/** The providers' documented paths this fake serves, exactly (no prefix or suffix slack). */
const ROUTES: { method: string; path: RegExp; wire: Wire }[] = [
  { method: 'POST', path: /^\/v1\/chat\/completions$/, wire: 'openai' },
  { method: 'POST', path: /^\/v1\/embeddings$/, wire: 'openai' },
  { method: 'GET', path: /^\/v1\/models$/, wire: 'openai' },
  { method: 'POST', path: /^\/v1\/responses$/, wire: 'openai' },
  { method: 'GET', path: /^\/v1\/files$/, wire: 'openai' },
  { method: 'POST', path: /^\/v1\/files$/, wire: 'openai' },
  { method: 'GET', path: /^\/v1\/files\/[A-Za-z0-9_-]+$/, wire: 'openai' },
  { method: 'DELETE', path: /^\/v1\/files\/[A-Za-z0-9_-]+$/, wire: 'openai' },
  { method: 'GET', path: /^\/v1\/batches$/, wire: 'openai' },
  { method: 'POST', path: /^\/v1\/batches$/, wire: 'openai' },
  { method: 'GET', path: /^\/v1\/batches\/[A-Za-z0-9_-]+$/, wire: 'openai' },
  { method: 'POST', path: /^\/v1\/messages$/, wire: 'anthropic' },
  {
    method: 'POST',
    path: /^\/openai\/deployments\/[A-Za-z0-9._-]+\/(chat\/completions|embeddings)$/,
    wire: 'azure',
  },
  { method: 'POST', path: /^\/v1beta\/models\/[A-Za-z0-9._-]+:generateContent$/, wire: 'gemini' },
  { method: 'POST', path: /^\/v1beta\/openai\/chat\/completions$/, wire: 'gemini_openai' },
];

/** Which provider a request that matched no route was meant for, to answer in that provider's shape. */
function guessWire(path: string, headers: IncomingMessage['headers']): Wire {
  if (path.startsWith('/v1beta') || headers['x-goog-api-key'] !== undefined) return 'gemini';
  if (path.startsWith('/openai/') || headers['api-key'] !== undefined) return 'azure';
  if (headers['x-api-key'] !== undefined || headers['anthropic-version'] !== undefined) return 'anthropic';
  return 'openai';
}

const googleError = (code: number, status: string, message: string) => ({ error: { code, message, status } });

/** The 404 each provider answers for a path it does not have. */
function notFound(wire: Wire, method: string, path: string): [number, unknown] {
  switch (wire) {
    case 'openai':
      return [
        404,
        {
          error: {
            message: `Invalid URL (${method} ${path})`,
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        },
      ];
    case 'anthropic':
      return [404, { type: 'error', error: { type: 'not_found_error', message: 'Not Found' } }];
    case 'azure':
      return [404, { error: { code: '404', message: 'Resource not found' } }];
    case 'gemini':
    case 'gemini_openai':
      return [404, googleError(404, 'NOT_FOUND', `The requested URL ${path} was not found on this server.`)];
  }
}

/**
 * The provider's own refusal of a request's authentication (or required version), null when it passes:
 * OpenAI `Authorization: Bearer`; Anthropic `x-api-key` + `anthropic-version`; Azure `api-key` +
 * `?api-version=`; Gemini native `x-goog-api-key` (or `?key=`); Gemini's OpenAI endpoint `Bearer`.
 */
function refuseAuth(
  wire: Wire,
  headers: IncomingMessage['headers'],
  query: URLSearchParams,
  valid: (secret: string) => boolean,
): [number, unknown] | null {
  const header = (name: string) => {
    const v = headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const bearer = /^Bearer (.+)$/.exec(header('authorization') ?? '')?.[1];
  switch (wire) {
    case 'openai':
      if (bearer === undefined)
        return [
          401,
          {
            error: {
              message:
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
              type: 'invalid_request_error',
              param: null,
              code: null,
            },
          },
        ];
      if (!valid(bearer))
        return [
          401,
          {
            error: {
              message: `Incorrect API key provided: ${bearer.slice(0, 3)}***${bearer.slice(-4)}.`,
              type: 'invalid_request_error',
              param: null,
              code: 'invalid_api_key',
            },
          },
        ];
      return null;
    case 'anthropic': {
      const key = header('x-api-key');
      if (key === undefined || !valid(key))
        return [
          401,
          {
            type: 'error',
            error: {
              type: 'authentication_error',
              message: key === undefined ? 'x-api-key header is required' : 'invalid x-api-key',
            },
          },
        ];
      if (!header('anthropic-version'))
        return [
          400,
          {
            type: 'error',
            error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
          },
        ];
      return null;
    }
    case 'azure': {
      const key = header('api-key');
      if (key === undefined || !valid(key))
        return [
          401,
          {
            error: {
              code: '401',
              message:
                'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
            },
          },
        ];
      if (!query.get('api-version')) return [404, { error: { code: '404', message: 'Resource not found' } }];
      return null;
    }
    case 'gemini': {
      const key = header('x-goog-api-key') ?? query.get('key') ?? undefined;
      if (key === undefined) {
        if (bearer !== undefined)
          return [
            401,
            googleError(
              401,
              'UNAUTHENTICATED',
              'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
            ),
          ];
        return [
          403,
          googleError(
            403,
            'PERMISSION_DENIED',
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
          ),
        ];
      }
      if (!valid(key))
        return [400, googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.')];
      return null;
    }
    case 'gemini_openai':
      if (bearer === undefined || !valid(bearer))
        return [401, googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.')];
      return null;
  }
}

/** Routes and authenticates a request as its provider would: null when it may be answered. */
function gate(
  req: IncomingMessage,
  path: string,
  valid: (secret: string) => boolean,
): { refusal: [number, unknown] } | null {
  const method = req.method ?? 'GET';
  const route = ROUTES.find((r) => r.method === method && r.path.test(path));
  if (!route) return { refusal: notFound(guessWire(path, req.headers), method, path) };
  const q = (req.url ?? '').indexOf('?');
  const query = new URLSearchParams(q === -1 ? '' : (req.url ?? '').slice(q + 1));
  const refusal = refuseAuth(route.wire, req.headers, query, valid);
  return refusal ? { refusal } : null;
}

/**
 * The tool a request asks the fake to call (`x-fake-tool-call`), null when it answers with text: the
 * first offered tool, unless the last turn is a tool result (OpenAI `role: tool`, Anthropic `tool_result`).
 */
function toolToCall(b: { tools?: unknown; messages?: unknown }, anthropic: boolean): string | null {
  const first = Array.isArray(b.tools) ? (b.tools[0] as Json | undefined) : undefined;
  const name = anthropic ? first?.name : (first?.function as Json | undefined)?.name;
  if (typeof name !== 'string') return null;
  const last = Array.isArray(b.messages) ? (b.messages.at(-1) as Json | undefined) : undefined;
  const answered = anthropic
    ? Array.isArray(last?.content) && (last.content as Json[]).some((c) => c?.type === 'tool_result')
    : last?.role === 'tool';
  return answered ? null : name;
}

/** A tool call's arguments in the pieces a stream sends them in. */
const argumentPieces = (args: string) => [args.slice(0, 10), args.slice(10, 20), args.slice(20)];

/** Usage of a Responses API call: input and instructions count as input, as OpenAI counts them. */
function responsesUsage(b: { input?: unknown; instructions?: unknown }, cached: number) {
  const input = countTokens(b.input) + (b.instructions ? countTokens(b.instructions) : 0);
  return { input, cached: Math.min(cached, input) };
}

/**
 * `POST /v1/responses`: a Responses API answer, as JSON or as its SSE events (`event:` lines named as
 * the `type` of their data, each with a `sequence_number`, ending with `response.completed`, no
 * `[DONE]`).
 */
async function respond(
  res: ServerResponse,
  b: { stream?: boolean; instructions?: unknown; stream_options?: unknown },
  o: {
    model: string;
    text: string;
    latency: number;
    omitUsage: boolean;
    usage: { input: number; cached: number; cost?: number };
  },
): Promise<void> {
  const id = `resp_${randomUUID().replace(/-/g, '')}`;
  const itemId = `msg_${randomUUID().replace(/-/g, '')}`;
  const outputTokens = o.text.split(' ').length;
  const usage = {
    input_tokens: o.usage.input,
    input_tokens_details: { cached_tokens: o.usage.cached },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: o.usage.input + outputTokens,
    ...(o.usage.cost === undefined ? {} : { cost: o.usage.cost }),
  };
  const part = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });
  const message = (status: string, content: unknown[]) => ({
    id: itemId,
    type: 'message',
    status,
    role: 'assistant',
    content,
  });
  const response = (status: string, output: unknown[], withUsage: boolean) => ({
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: b.instructions ?? null,
    max_output_tokens: null,
    model: o.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: withUsage && !o.omitUsage ? usage : null,
    user: null,
    metadata: {},
  });
  if (b.stream !== true) {
    if (refusedStreamOptions(res, b)) return;
    const body = response('completed', [message('completed', [part(o.text)])], true);
    send(res, 200, o.omitUsage ? { ...body, usage: undefined } : body);
    return;
  }
  const emit = sse(res);
  let seq = 0;
  const event = (type: string, data: object) => emit(type, { type, sequence_number: seq++, ...data });
  event('response.created', { response: response('in_progress', [], false) });
  event('response.in_progress', { response: response('in_progress', [], false) });
  event('response.output_item.added', { output_index: 0, item: message('in_progress', []) });
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  event('response.content_part.added', { ...at, part: part('') });
  const parts = o.text.split(' ');
  for (let i = 0; i < parts.length; i++) {
    if (res.destroyed) return;
    if (o.latency > 0) await sleep(o.latency / parts.length);
    event('response.output_text.delta', { ...at, delta: i === 0 ? parts[i] : ` ${parts[i]}`, logprobs: [] });
  }
  event('response.output_text.done', { ...at, text: o.text, logprobs: [] });
  event('response.content_part.done', { ...at, part: part(o.text) });
  const done = message('completed', [part(o.text)]);
  event('response.output_item.done', { output_index: 0, item: done });
  event('response.completed', { response: response('completed', [done], true) });
  res.end();
}

export async function startFakeUpstream(options: FakeUpstreamOptions = {}, port = 0): Promise<FakeUpstream> {
  const requests: FakeUpstream['requests'] = [];
  const validSecret = (secret: string) =>
    options.apiKey !== undefined
      ? secret === options.apiKey
      : secret.length > 0 && !secret.startsWith(KEY_PRODUCT_PREFIX);

  /** Anthropic prompt-cache entries (the prefix's JSON). */
  const promptCache = new Set<string>();
  const server: Server = createServer(async (req, res) => {
    const body = await readJson(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const seen = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
      aborted: false,
      finished: false,
    };
    if (options.record !== false) requests.push(seen);
    res.on('finish', () => {
      seen.finished = true;
    });
    res.on('close', () => {
      if (!res.writableFinished) seen.aborted = true;
    });
    if (isFakeMcpPath(path)) return handleFakeMcp(req, res, path, body);
    const refused = gate(req, path, validSecret);
    if (refused) return send(res, refused.refusal[0], refused.refusal[1]);
    const latency = Number(req.headers['x-fake-latency-ms'] ?? options.latencyMs ?? 0);
    const words = options.words ?? 8;
    const forcedStatus = Number(req.headers['x-fake-status'] ?? 0);
    const omitUsage = req.headers['x-fake-omit-usage'] === '1';
    const cachedTokens = Number(req.headers['x-fake-cached-tokens'] ?? 0) || 0;
    const usageCost =
      req.headers['x-fake-usage-cost'] === undefined ? null : Number(req.headers['x-fake-usage-cost']);
    const anthropic = path.endsWith('/messages');
    const toolCall = req.headers['x-fake-tool-call'] === '1';
    if (latency > 0 && !(body as { stream?: boolean } | null)?.stream) await sleep(latency);

    if (forcedStatus >= 400) {
      send(
        res,
        forcedStatus,
        anthropic
          ? { type: 'error', error: { type: 'api_error', message: `fake upstream failure ${forcedStatus}` } }
          : { error: { message: `fake upstream failure ${forcedStatus}`, type: 'server_error', code: null } },
      );
      return;
    }

    const b = (body ?? {}) as {
      model?: string;
      stream?: boolean;
      messages?: unknown;
      input?: unknown;
      instructions?: unknown;
      system?: unknown;
      tools?: unknown;
      stream_options?: { include_usage?: boolean } | null;
    };
    const model = b.model ?? 'fake-model';
    const text = Array.from({ length: words }, (_, i) => `word${i}`).join(' ');
    const toolArguments = JSON.stringify({ query: text });
    const promptTokens = countTokens(b.messages ?? b.input);
    const cached = Math.min(cachedTokens, promptTokens);
    const withCost = <T extends object>(usage: T) =>
      usageCost === null ? usage : { ...usage, cost: usageCost };

    if (req.method === 'GET' && path.endsWith('/models')) {
      send(res, 200, {
        object: 'list',
        data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'portcullis-fake' }],
      });
      return;
    }
    if (req.method === 'POST' && path.endsWith('/embeddings')) {
      const inputs = Array.isArray(b.input) ? b.input : [b.input];
      send(res, 200, {
        object: 'list',
        data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3, 0.4] })),
        model,
        ...(omitUsage
          ? {}
          : { usage: withCost({ prompt_tokens: promptTokens, total_tokens: promptTokens }) }),
      });
      return;
    }
    if (req.method === 'POST' && path.endsWith('/responses'))
      return respond(res, b, {
        model,
        text,
        latency,
        omitUsage,
        usage: { ...responsesUsage(b, cachedTokens), ...(usageCost === null ? {} : { cost: usageCost }) },
      });
    if (req.method === 'POST' && path.endsWith('/chat/completions')) {
      const id = `chatcmpl-${randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      const usage = withCost({
        prompt_tokens: promptTokens,
        completion_tokens: words,
        total_tokens: promptTokens + words,
        prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      });
      if (b.stream_options !== undefined && req.headers['x-fake-reject-stream-options'] === '1') {
        send(res, 400, {
          error: {
            message: 'Unrecognized request argument supplied: stream_options',
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        });
        return;
      }
      if (refusedStreamOptions(res, b)) return;
      const tool = toolCall ? toolToCall(b, false) : null;
      const callId = `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
      if (!b.stream) {
        send(res, 200, {
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: tool
                ? {
                    role: 'assistant',
                    content: null,
                    tool_calls: [
                      { id: callId, type: 'function', function: { name: tool, arguments: toolArguments } },
                    ],
                    refusal: null,
                  }
                : { role: 'assistant', content: text, refusal: null },
              logprobs: null,
              finish_reason: tool ? 'tool_calls' : 'stop',
            },
          ],
          ...(omitUsage ? {} : { usage }),
        });
        return;
      }
      const emit = sse(res);
      // With include_usage every chunk says `"usage":null` but the last, which has no choices.
      const includeUsage = b.stream_options?.include_usage === true;
      const chunk = (delta: object, finish: string | null) => ({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        ...(includeUsage ? { usage: null } : {}),
      });
      if (tool) {
        emit(
          null,
          chunk(
            {
              role: 'assistant',
              content: null,
              tool_calls: [
                { index: 0, id: callId, type: 'function', function: { name: tool, arguments: '' } },
              ],
              refusal: null,
            },
            null,
          ),
        );
        for (const piece of argumentPieces(toolArguments))
          emit(null, chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }, null));
        emit(null, chunk({}, 'tool_calls'));
      } else {
        emit(null, chunk({ role: 'assistant', content: '' }, null));
        const parts = text.split(' ');
        for (let i = 0; i < parts.length; i++) {
          if (res.destroyed) return;
          if (latency > 0) await sleep(latency / parts.length);
          emit(null, chunk({ content: i === 0 ? parts[i] : ` ${parts[i]}` }, null));
        }
        emit(null, chunk({}, 'stop'));
      }
      if (includeUsage && !omitUsage)
        emit(null, { id, object: 'chat.completion.chunk', created, model, choices: [], usage });
      emit(null, '[DONE]');
      res.end();
      return;
    }
    if (req.method === 'POST' && anthropic) {
      const id = `msg_${randomUUID().replace(/-/g, '')}`;
      // Input as Anthropic counts it: the uncached part, the part written to the cache, the part read.
      let cacheWrite = 0;
      let cacheRead = 0;
      const prefix = anthropicCachePrefix(b as Json);
      if (prefix) {
        const prefixTokens = countTokens(prefix);
        const entry = JSON.stringify(prefix);
        if (prefixTokens >= ANTHROPIC_MIN_CACHE_TOKENS) {
          if (promptCache.has(entry)) cacheRead = prefixTokens;
          else {
            promptCache.add(entry);
            cacheWrite = prefixTokens;
          }
        }
      }
      const allInput =
        countTokens(b.messages) +
        (b.system === undefined ? 0 : countTokens(b.system)) +
        (b.tools === undefined ? 0 : countTokens(b.tools));
      const inputUsage = {
        input_tokens: Math.max(1, allInput - cacheWrite - cacheRead),
        cache_creation_input_tokens: cacheWrite,
        cache_read_input_tokens: cacheRead,
        cache_creation: { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 },
      };
      const tool = toolCall ? toolToCall(b, true) : null;
      const toolId = `toolu_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
      if (!b.stream) {
        send(res, 200, {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: tool
            ? [{ type: 'tool_use', id: toolId, name: tool, input: JSON.parse(toolArguments) }]
            : [{ type: 'text', text }],
          stop_reason: tool ? 'tool_use' : 'end_turn',
          stop_sequence: null,
          ...(omitUsage ? {} : { usage: { ...inputUsage, output_tokens: words, service_tier: 'standard' } }),
        });
        return;
      }
      const emit = sse(res);
      emit('message_start', {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: omitUsage
            ? { input_tokens: 0, output_tokens: 0 }
            : { ...inputUsage, output_tokens: 1, service_tier: 'standard' },
        },
      });
      if (tool) {
        emit('content_block_start', {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'tool_use', id: toolId, name: tool, input: {} },
        });
        for (const piece of ['', ...argumentPieces(toolArguments)])
          emit('content_block_delta', {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'input_json_delta', partial_json: piece },
          });
      } else {
        emit('content_block_start', {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        });
        const parts = text.split(' ');
        for (let i = 0; i < parts.length; i++) {
          if (res.destroyed) return;
          if (latency > 0) await sleep(latency / parts.length);
          emit('content_block_delta', {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'text_delta', text: i === 0 ? parts[i] : ` ${parts[i]}` },
          });
        }
      }
      emit('content_block_stop', { type: 'content_block_stop', index: 0 });
      emit('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: tool ? 'tool_use' : 'end_turn', stop_sequence: null },
        usage: { output_tokens: omitUsage ? 0 : words },
      });
      emit('message_stop', { type: 'message_stop' });
      res.end();
      return;
    }
    if (req.method === 'POST' && path.endsWith(':generateContent')) {
      const contents = (body as { contents?: unknown } | null)?.contents;
      const prompt = countTokens(contents);
      send(res, 200, {
        candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason: 'STOP', index: 0 }],
        usageMetadata: {
          promptTokenCount: prompt,
          candidatesTokenCount: words,
          totalTokenCount: prompt + words,
        },
        modelVersion: decodeURIComponent(path.slice(path.lastIndexOf('/') + 1, path.lastIndexOf(':'))),
      });
      return;
    }
    if (path === '/v1/files' || path.startsWith('/v1/files/')) {
      const id = path.startsWith('/v1/files/') ? path.slice('/v1/files/'.length) : `file-${randomUUID()}`;
      const file = {
        id,
        object: 'file',
        bytes: typeof body === 'string' ? Buffer.byteLength(body) : 0,
        created_at: Math.floor(Date.now() / 1000),
        filename: 'upload.jsonl',
        purpose: 'batch',
      };
      if (req.method === 'DELETE') send(res, 200, { id, object: 'file', deleted: true });
      else if (req.method === 'GET' && path === '/v1/files')
        send(res, 200, { object: 'list', data: [], has_more: false });
      else send(res, 200, file);
      return;
    }
    if (path === '/v1/batches' || path.startsWith('/v1/batches/')) {
      if (req.method === 'GET' && path === '/v1/batches') {
        send(res, 200, { object: 'list', data: [], has_more: false });
        return;
      }
      const input = (body ?? {}) as { input_file_id?: string; endpoint?: string; completion_window?: string };
      send(res, 200, {
        id: path.startsWith('/v1/batches/') ? path.slice('/v1/batches/'.length) : `batch_${randomUUID()}`,
        object: 'batch',
        endpoint: input.endpoint ?? '/v1/chat/completions',
        input_file_id: input.input_file_id ?? null,
        completion_window: input.completion_window ?? '24h',
        status: 'validating',
        created_at: Math.floor(Date.now() / 1000),
        request_counts: { total: 0, completed: 0, failed: 0 },
      });
      return;
    }
    send(res, 404, {
      error: {
        message: `fake upstream has no route ${req.method} ${path}`,
        type: 'invalid_request_error',
        code: null,
      },
    });
  });
  server.listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
