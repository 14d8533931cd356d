import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import type { GatewayContext } from '../context.js';
import { errorResponse } from '../errors.js';
import { estimateJsonOutput, newUsage, readJsonUsage } from '../providers/usage.js';
import type { ResponseTranslator } from '../translate/index.js';
import type { UpstreamClient } from './client.js';
import { clientSignal } from './client-signal.js';
import {
  bodyless,
  brokeOff,
  type ChunkTransform,
  relayAnswer,
  requestFailed,
  settleAnswer,
  type UpstreamResponse,
} from './relay.js';
import { SseUsageReader } from './sse.js';

/** Client headers that never go upstream: hop-by-hop, the client's own credentials, proxy metadata. */
const DROP_REQUEST = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'content-length',
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-real-ip',
  // Identity encoding, so usage can be read from the body as it passes.
  'accept-encoding',
  'anthropic-version',
  'openai-organization',
  'openai-project',
]);

/** Upstream response headers the client must not see: hop-by-hop, cookies, the provider account's own limits. */
const DROP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'set-cookie',
  'server',
  'date',
  'alt-svc',
  'x-request-id',
  'openai-organization',
  'anthropic-organization-id',
]);

function upstreamHeaders(incoming: Headers, auth: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  incoming.forEach((value, name) => {
    if (DROP_REQUEST.has(name) || name.startsWith('x-portcullis-') || name.startsWith(':')) return;
    out[name] = value;
  });
  return Object.assign(out, auth);
}

/** undici hands back lower-cased names; the result goes to c.body, which merges the gateway's own headers. */
function responseHeaders(
  raw: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined || DROP_RESPONSE.has(name) || name.includes('ratelimit')) continue;
    headers[name] = value;
  }
  return headers;
}

/** A non-streamed JSON body up to this size is kept aside (as it passes) to read its usage at the end. */
const SNIFF_JSON_LIMIT = 16 * 1024 * 1024;
const PROVIDER = { the: 'The provider', log: 'upstream' };
export interface ForwardRequest {
  url: URL;
  method: string;
  body: string | Uint8Array | null;
  auth: Record<string, string>;
  /** Bytes of the request body, for a token estimate when the provider reports no usage. */
  requestBytes: number;
  /**
   * The gateway asked for usage (`stream_options.include_usage`) on the client's behalf: the stream's
   * usage-only chunk and the `"usage":null` fields of the others are taken out of what the client sees.
   */
  hideStreamUsage: boolean;
  /**
   * With `hideStreamUsage`: the body as the client sent it, re-sent once if the upstream answers 400
   * about `stream_options` (an upstream that does not know the option); `refused` remembers that.
   */
  withoutStreamUsage?: { body: () => string; refused: () => void };
  /**
   * The request was translated into the provider's wire format: the answer is translated back (JSON
   * and error bodies whole, streams event by event), its usage read from the provider's own answer.
   */
  translate?: ResponseTranslator;
}

/** The error body of a 400 read to see whether it is about `stream_options`. */
const REFUSAL_READ_LIMIT = 64 * 1024;

/**
 * Sends the request to the provider and streams its answer back chunk by chunk (no buffering),
 * reading usage from JSON bodies and SSE events as they pass (`providers/usage.ts`, whatever the
 * provider). A client that goes away aborts the upstream request; failures before headers map to
 * 502/504; HTTP errors pass through as they are. A successful answer whose usage cannot be read is
 * billed at an estimate (input ≈ request bytes / 4, output ≈ answer text / 4 or a token per streamed
 * delta) and marked estimated.
 */
export async function forward(
  c: GatewayContext,
  client: UpstreamClient,
  req: ForwardRequest,
): Promise<Response> {
  const signal = clientSignal(c);
  let res: UpstreamResponse;
  let hideStreamUsage = req.hideStreamUsage;
  /** A 400 body already read (while checking it for a `stream_options` refusal), passed on as it is. */
  let readBody: Uint8Array | null = null;
  const send = (body: ForwardRequest['body']) =>
    client.pool(req.url.origin).request({
      path: `${req.url.pathname}${req.url.search}`,
      method: req.method as 'POST',
      headers: upstreamHeaders(c.req.raw.headers, req.auth),
      body,
      signal,
    });
  try {
    res = await send(req.body);
    const retry = req.withoutStreamUsage;
    if (retry && res.statusCode === 400) {
      readBody = new Uint8Array(await res.body.arrayBuffer());
      if (
        readBody.byteLength <= REFUSAL_READ_LIMIT &&
        Buffer.from(readBody.buffer, readBody.byteOffset, readBody.byteLength).includes('stream_options')
      ) {
        retry.refused();
        hideStreamUsage = false;
        readBody = null;
        res = await send(retry.body());
      }
    }
  } catch (err) {
    return requestFailed(c, err, signal, PROVIDER, req.url.origin);
  }

  const headers = responseHeaders(res.headers);
  // Informational answers never reach here (undici handles them), so every status can carry a body.
  const status = res.statusCode as ContentfulStatusCode;
  const rawType = headers['content-type'];
  const contentType = (typeof rawType === 'string' ? rawType : '').toLowerCase();
  const sse = contentType.startsWith('text/event-stream');
  const json = !sse && contentType.includes('json');
  const acc = newUsage();
  const reader = sse ? new SseUsageReader(acc, hideStreamUsage) : null;
  const jsonParts: Uint8Array[] = [];
  let jsonBytes = 0;

  const sniffJson = (chunk: Uint8Array) => {
    if (json && jsonBytes + chunk.byteLength <= SNIFF_JSON_LIMIT) {
      jsonParts.push(chunk);
      jsonBytes += chunk.byteLength;
    }
  };

  /**
   * `complete`: the whole answer passed; otherwise `aborted` says whether the client or the upstream
   * broke it off. `whole`: the answer's body, already parsed.
   */
  const settle = (complete: boolean, aborted = false, whole?: { body: unknown }) => {
    const ok = res.statusCode < 400;
    let jsonOutput = 0;
    if ((json || whole) && ok) {
      let body = whole?.body;
      let parsed = whole !== undefined;
      if (!parsed && complete && jsonBytes > 0 && jsonBytes <= SNIFF_JSON_LIMIT) {
        try {
          body = JSON.parse(Buffer.concat(jsonParts).toString('utf8'));
          parsed = true;
        } catch {
          // Unreadable body: estimated from its size below.
        }
      }
      if (!(parsed && readJsonUsage(body, acc)))
        jsonOutput = parsed ? estimateJsonOutput(body, jsonBytes) : Math.ceil(jsonBytes / 4);
    }
    const estimated = ok && !(acc.inputReported && acc.outputReported);
    if (estimated) {
      if (!acc.inputReported) acc.inputTokens = Math.max(acc.inputTokens, Math.ceil(req.requestBytes / 4));
      if (!acc.outputReported) {
        // A token per streamed delta; a stream of no known shape by its size.
        acc.outputTokens = Math.max(acc.outputTokens, reader ? reader.outputEstimate() : jsonOutput);
      }
    }
    settleAnswer(
      c,
      res.statusCode,
      {
        inputTokens: acc.inputTokens,
        outputTokens: acc.outputTokens,
        cacheCreationInputTokens: acc.cacheCreationInputTokens,
        cacheReadInputTokens: acc.cacheReadInputTokens,
        providerCostUsd: acc.costUsd,
        estimated,
      },
      complete,
      aborted,
    );
  };

  if (bodyless(res.statusCode, req.method)) {
    await res.body.dump().catch(() => {});
    settle(true);
    return c.body(null, res.statusCode as StatusCode, headers);
  }
  const translate = req.translate;
  if (translate && (readBody || !sse || res.statusCode >= 400)) {
    let bytes = readBody;
    try {
      bytes ??= new Uint8Array(await res.body.arrayBuffer());
    } catch {
      settle(false, signal.aborted);
      return brokeOff(c, PROVIDER);
    }
    // c.json writes the client format's own content type.
    delete headers['content-type'];
    if (res.statusCode >= 400) {
      settle(true);
      return c.json(translate.error(res.statusCode, bytes), status, headers);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    } catch {
      jsonBytes = bytes.byteLength;
      settle(true);
      return errorResponse(c, 'upstream_error', 'The provider answered with a body that is not JSON');
    }
    settle(true, false, { body });
    return c.json(translate.json(body), status, headers);
  }
  if (readBody) {
    sniffJson(readBody);
    settle(true);
    return c.body(readBody as Uint8Array<ArrayBuffer>, status, headers);
  }
  const declaredLength = Number(res.headers['content-length'] ?? Number.NaN);
  if (json && declaredLength <= SNIFF_JSON_LIMIT) {
    // A JSON answer of known size arrives whole anyway (and @hono/node-server would buffer a JSON
    // stream to set content-length): read it in one piece, without a web stream per response.
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(await res.body.arrayBuffer());
    } catch {
      settle(false, signal.aborted);
      return brokeOff(c, PROVIDER);
    }
    sniffJson(bytes);
    settle(true);
    return c.body(bytes, status, headers);
  }
  let transform: ChunkTransform | null = reader;
  if (translate && reader) {
    const events = translate.stream();
    // Usage is read from the provider's events as they came, then they are translated.
    transform = {
      push: (chunk) => {
        reader.push(chunk);
        return events.push(chunk);
      },
      end: () => events.end(),
    };
  }
  return relayAnswer(c, res, headers, sse, signal, { transform, onChunk: sniffJson, settle });
}
