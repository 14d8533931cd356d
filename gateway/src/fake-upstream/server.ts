import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { KEY_PRODUCT_PREFIX } from '@portcullis/shared/keys';
import { handleFakeMcp, isFakeMcpPath } from './mcp.js';

/**
 * A local stand-in for OpenAI, Anthropic, Azure OpenAI and Gemini, speaking their real JSON and SSE wire
 * formats with usage fields. Used by tests, benchmarks and the local demo; never by production traffic.
 *
 * As strict as the real providers on where and how it is called (see `gate`): only the providers' exact
 * paths, each with its own authentication, and their own 404/401 bodies otherwise. A gateway that builds
 * `/v1/v1/…` or sends the wrong auth header fails against it as it would against the provider.
 *
 * Knobs, per request (headers) or for the whole server (options):
 * - `x-fake-latency-ms`: wait before answering (and between stream chunks, divided by chunk count).
 * - `x-fake-status`: answer with this HTTP status and a provider-shaped error body.
 * - `x-fake-omit-usage: 1`: streams carry no usage chunk (to exercise estimates).
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

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
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

export async function startFakeUpstream(options: FakeUpstreamOptions = {}, port = 0): Promise<FakeUpstream> {
  const requests: FakeUpstream['requests'] = [];
  const validSecret = (secret: string) =>
    options.apiKey !== undefined
      ? secret === options.apiKey
      : secret.length > 0 && !secret.startsWith(KEY_PRODUCT_PREFIX);
  const server: Server = createServer(async (req, res) => {
    const body = await readJson(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const seen = { method: req.method ?? 'GET', path, headers: req.headers, body, aborted: false };
    if (options.record !== false) requests.push(seen);
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
    const anthropic = path.endsWith('/messages');
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
      stream_options?: { include_usage?: boolean };
    };
    const model = b.model ?? 'fake-model';
    const text = Array.from({ length: words }, (_, i) => `word${i}`).join(' ');
    const promptTokens = countTokens(b.messages ?? b.input);

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
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      });
      return;
    }
    if (req.method === 'POST' && path.endsWith('/chat/completions')) {
      const id = `chatcmpl-${randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      const usage = {
        prompt_tokens: promptTokens,
        completion_tokens: words,
        total_tokens: promptTokens + words,
      };
      if (!b.stream) {
        send(res, 200, {
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: text, refusal: null },
              logprobs: null,
              finish_reason: 'stop',
            },
          ],
          usage,
        });
        return;
      }
      const emit = sse(res);
      const chunk = (delta: object, finish: string | null) => ({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      });
      emit(null, chunk({ role: 'assistant', content: '' }, null));
      const parts = text.split(' ');
      for (let i = 0; i < parts.length; i++) {
        if (res.destroyed) return;
        if (latency > 0) await sleep(latency / parts.length);
        emit(null, chunk({ content: i === 0 ? parts[i] : ` ${parts[i]}` }, null));
      }
      emit(null, chunk({}, 'stop'));
      if (!omitUsage && b.stream_options?.include_usage)
        emit(null, { id, object: 'chat.completion.chunk', created, model, choices: [], usage });
      emit(null, '[DONE]');
      res.end();
      return;
    }
    if (req.method === 'POST' && anthropic) {
      const id = `msg_${randomUUID().replace(/-/g, '')}`;
      if (!b.stream) {
        send(res, 200, {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [{ type: 'text', text }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: promptTokens, output_tokens: words },
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
          usage: { input_tokens: omitUsage ? 0 : promptTokens, output_tokens: omitUsage ? 0 : 1 },
        },
      });
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
      emit('content_block_stop', { type: 'content_block_stop', index: 0 });
      emit('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
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
