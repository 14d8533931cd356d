import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { handleFakeMcp, isFakeMcpPath } from './mcp.js';

/**
 * A local stand-in for OpenAI and Anthropic, speaking their real JSON and SSE wire formats with usage
 * fields. Used by tests, benchmarks and the local demo; never by production traffic.
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

export async function startFakeUpstream(options: FakeUpstreamOptions = {}, port = 0): Promise<FakeUpstream> {
  const requests: FakeUpstream['requests'] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readJson(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const seen = { method: req.method ?? 'GET', path, headers: req.headers, body, aborted: false };
    if (options.record !== false) requests.push(seen);
    res.on('close', () => {
      if (!res.writableFinished) seen.aborted = true;
    });
    if (isFakeMcpPath(path)) return handleFakeMcp(req, res, path, body);
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
