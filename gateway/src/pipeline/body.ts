import type { IncomingMessage } from 'node:http';
import type { GatewayContext, Stage } from '../context.js';
import { errorResponse } from '../errors.js';

export interface BodyLimits {
  /** Largest accepted body; larger ones get 400 invalid_request (the gateway's one code for bad bodies). */
  maxBytes: number;
  /** Deepest accepted nesting of arrays/objects. */
  maxDepth: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBytes: 4 * 1024 * 1024, maxDepth: 64 };

type Read = { ok: true; bytes: Uint8Array } | { ok: false; message: string };

/** Reads the request body, stopping (without buffering the rest) as soon as it passes the limit. */
export async function readBody(c: GatewayContext, maxBytes: number): Promise<Read> {
  const tooLarge = () => {
    // The rest of the body is never read: the connection cannot carry another request.
    c.header('connection', 'close');
    return { ok: false as const, message: `Request body is larger than ${maxBytes} bytes` };
  };
  const declared = c.req.header('content-length');
  if (declared !== undefined && (!/^\d{1,15}$/.test(declared) || Number(declared) > maxBytes))
    return tooLarge();
  const incoming = c.env?.incoming;
  // On Node, read the socket's stream directly: going through c.req.raw.body would build a full web
  // Request and a ReadableStream for every call, a measurable share of the gateway's per-request CPU.
  if (incoming) return readIncoming(incoming, maxBytes, tooLarge);
  const stream = c.req.raw.body;
  if (!stream) return { ok: true, bytes: new Uint8Array(0) };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        void reader.cancel().catch(() => {});
        return tooLarge();
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, message: 'The request body could not be read' };
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { ok: true, bytes };
}

/** Whether the request body has been read to its end (on Node without building a web Request). */
export function bodyConsumed(c: GatewayContext): boolean {
  const incoming = c.env?.incoming;
  return incoming ? incoming.readableEnded : c.req.raw.bodyUsed;
}

function readIncoming(incoming: IncomingMessage, maxBytes: number, tooLarge: () => Read): Promise<Read> {
  if (incoming.readableEnded) return Promise.resolve({ ok: true, bytes: new Uint8Array(0) });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const settle = (result: Read) => {
      incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > maxBytes) {
        incoming.pause();
        settle(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () =>
      settle({ ok: true, bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total) });
    const onError = () => settle({ ok: false, message: 'The request body could not be read' });
    const onClose = () => {
      if (!incoming.readableEnded) onError();
    };
    incoming.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** Deepest array/object nesting of a JSON text, found without parsing (strings skipped). */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      if (++depth > maxDepth) return true;
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) depth--;
  }
  return false;
}

export const isJsonContentType = (value: string | undefined): boolean => {
  const media = (value ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'));
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a JSON-object body; `invalid_request` for a wrong content type, size, depth, syntax or shape. */
export async function parseJsonBody(
  c: GatewayContext,
  limits: BodyLimits,
): Promise<{ ok: true; json: Record<string, unknown>; bytes: number } | { ok: false; response: Response }> {
  const fail = (message: string) => ({
    ok: false as const,
    response: errorResponse(c, 'invalid_request', message),
  });
  if (!isJsonContentType(c.req.header('content-type')))
    return fail('The request body must be JSON with Content-Type: application/json');
  const read = await readBody(c, limits.maxBytes);
  if (!read.ok) return fail(read.message);
  let text: string;
  try {
    text = utf8.decode(read.bytes);
  } catch {
    return fail('The request body is not valid UTF-8');
  }
  if (jsonDepthExceeds(text, limits.maxDepth))
    return fail(`The request body is nested deeper than ${limits.maxDepth} levels`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('The request body is not valid JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return fail('The request body must be a JSON object');
  return { ok: true, json: json as Record<string, unknown>, bytes: read.bytes.byteLength };
}

/** For the unified /v1 routes: the body must be a JSON object. */
export const jsonBody =
  (limits: BodyLimits): Stage =>
  async (c, next) => {
    const parsed = await parseJsonBody(c, limits);
    if (!parsed.ok) return parsed.response;
    c.set('body', { json: parsed.json, bytes: parsed.bytes });
    return next();
  };

/** For pass-through: JSON bodies are parsed (to find the model); anything else is kept as bytes. */
export const passthroughBody =
  (limits: BodyLimits): Stage =>
  async (c, next) => {
    c.set('body', null);
    c.set('rawBody', null);
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'DELETE' || method === 'OPTIONS') {
      const declared = c.req.header('content-length');
      if ((declared === undefined && c.req.header('transfer-encoding') === undefined) || declared === '0')
        return next();
    }
    if (isJsonContentType(c.req.header('content-type'))) {
      const parsed = await parseJsonBody(c, limits);
      if (!parsed.ok) return parsed.response;
      c.set('body', { json: parsed.json, bytes: parsed.bytes });
    } else {
      const read = await readBody(c, limits.maxBytes);
      if (!read.ok) return errorResponse(c, 'invalid_request', read.message);
      c.set('rawBody', read.bytes);
    }
    return next();
  };
