import type { McpServerAccess } from '@portcullis/shared/mcp';
import type { Hono } from 'hono';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import { after, type GatewayEnv, on, type Stage } from '../context.js';
import { errorResponse } from '../errors.js';
import type { UpstreamClient } from '../upstream/client.js';
import { clientSignal } from '../upstream/client-signal.js';
import {
  bodyless,
  brokeOff,
  relayAnswer,
  requestFailed,
  settleAnswer,
  type UpstreamResponse,
} from '../upstream/relay.js';

/**
 * `/mcp/:server`: the MCP streamable HTTP transport, proxied. POST carries JSON-RPC (answered as JSON or
 * as an SSE stream), GET opens the server's SSE stream, DELETE ends a session. Only the transport's
 * own headers pass in either direction (an allowlist): the client's Authorization, x-api-key and
 * cookies never go upstream; the server's secret headers are added instead. Where the key may not use
 * everything of the server, every result carrying a `tools`, `resources`, `resourceTemplates` or
 * `prompts` list is filtered to what the key may use, by shape (whatever the request or its id was), in
 * JSON answers, SSE answers and GET streams alike; JSON answers are then read whole (up to 16 MiB), SSE
 * events one by one. Everything else streams through chunk by chunk, and a client that goes away aborts
 * the upstream request.
 */

/** Client request headers the transport needs upstream. */
const PASS_REQUEST = ['accept', 'content-type', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id'];
/** Upstream response headers the client needs. `www-authenticate` stays behind: the gateway is the auth. */
const PASS_RESPONSE = [
  'content-type',
  'mcp-session-id',
  'mcp-protocol-version',
  'cache-control',
  'retry-after',
];
const MCP_SERVER = { the: 'The MCP server', log: 'MCP upstream' };
/** MCP calls carry no tokens: they are metered as requests. */
const NO_TOKENS = { inputTokens: 0, outputTokens: 0 };
/** A JSON answer whose tools/list results must be filtered is read whole up to this size. */
const FILTER_JSON_LIMIT = 16 * 1024 * 1024;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const LIST_FIELDS = ['tools', 'resources', 'resourceTemplates', 'prompts'] as const;
type ListField = (typeof LIST_FIELDS)[number];

/** Whether one list item may be shown; an item without the expected name or URI is dropped. */
function itemPermitted(field: ListField, item: unknown, access: McpServerAccess): boolean {
  if (!isRecord(item)) return false;
  switch (field) {
    case 'tools':
      return typeof item.name === 'string' && access.tool(item.name);
    case 'prompts':
      return typeof item.name === 'string' && access.prompt(item.name);
    case 'resources':
      return typeof item.uri === 'string' && access.resource(item.uri);
    case 'resourceTemplates':
      return typeof item.uriTemplate === 'string' && access.resourceTemplate(item.uriTemplate);
  }
}

/**
 * Filters, in place, the lists of every JSON-RPC result in `payload` (one message or a batch) to what
 * the key may use. True if anything was dropped.
 */
export function filterLists(payload: unknown, access: McpServerAccess): boolean {
  let changed = false;
  for (const message of Array.isArray(payload) ? payload : [payload]) {
    if (!isRecord(message) || !isRecord(message.result)) continue;
    const result = message.result;
    for (const field of LIST_FIELDS) {
      const list = result[field];
      if (!Array.isArray(list)) continue;
      const kept = list.filter((item) => itemPermitted(field, item, access));
      if (kept.length !== list.length) {
        result[field] = kept;
        changed = true;
      }
    }
  }
  return changed;
}

/**
 * Whether a JSON text may hold a list to filter: one of the list names as a key, or an escape (a key
 * could spell one with `\u`). Most answers (tool results, reads) skip the parse this way.
 */
const mayHoldList = (text: string): boolean =>
  text.includes('"tools"') ||
  text.includes('"resources"') ||
  text.includes('"prompts"') ||
  text.includes('"resourceTemplates"') ||
  text.includes('\\u');

/**
 * Rewrites one SSE event (its text without the blank line that ends it) when its data is a JSON-RPC
 * message whose lists need filtering; any other event is returned as it came.
 */
export function filterSseEvent(event: string, access: McpServerAccess): string {
  const lines = event.split(/\r\n|\r|\n/);
  const data: string[] = [];
  for (const line of lines) {
    if (line === 'data') data.push('');
    else if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
  }
  if (data.length === 0) return event;
  const text = data.join('\n');
  if (!mayHoldList(text)) return event;
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return event;
  }
  if (!filterLists(payload, access)) return event;
  const kept = lines.filter((l) => !(l === 'data' || l.startsWith('data:')));
  return [...kept, `data: ${JSON.stringify(payload)}`].join('\n');
}

/** Splits an SSE byte stream into events and filters each as it completes. */
class SseFilter {
  readonly #decoder = new TextDecoder();
  readonly #encoder = new TextEncoder();
  #buffer = '';
  constructor(private readonly access: McpServerAccess) {}

  push(chunk: Uint8Array): Uint8Array | null {
    this.#buffer += this.#decoder.decode(chunk, { stream: true });
    let out = '';
    const boundary = /\r\n\r\n|\n\n|\r\r/g;
    let from = 0;
    for (let m = boundary.exec(this.#buffer); m !== null; m = boundary.exec(this.#buffer)) {
      out += `${filterSseEvent(this.#buffer.slice(from, m.index), this.access)}${m[0]}`;
      from = m.index + m[0].length;
    }
    this.#buffer = this.#buffer.slice(from);
    return out.length > 0 ? this.#encoder.encode(out) : null;
  }

  /** Whatever is left when the stream ends (an event without its closing blank line). */
  end(): Uint8Array | null {
    const rest = this.#buffer + this.#decoder.decode();
    this.#buffer = '';
    return rest.length > 0 ? this.#encoder.encode(filterSseEvent(rest, this.access)) : null;
  }
}

export const mcpHandler =
  (upstream: UpstreamClient): Stage =>
  async (c) => {
    const { server, access, body } = after(c, 'mcp');
    const secretHeaders = server.headers();
    if (secretHeaders === null)
      return errorResponse(c, 'upstream_error', "The MCP server's credentials are not available");
    let url: URL;
    try {
      url = new URL(server.server.url);
    } catch {
      return errorResponse(c, 'upstream_error', 'The MCP server is misconfigured');
    }
    const headers: Record<string, string> = {};
    for (const name of PASS_REQUEST) {
      const value = c.req.header(name);
      if (value !== undefined) headers[name] = value;
    }
    Object.assign(headers, secretHeaders);

    const signal = clientSignal(c);
    let res: UpstreamResponse;
    try {
      res = await upstream.pool(url.origin).request({
        path: `${url.pathname}${url.search}`,
        method: c.req.method as 'POST',
        headers,
        body: body && body.byteLength > 0 ? body : null,
        signal,
      });
    } catch (err) {
      return requestFailed(c, err, signal, MCP_SERVER, url.origin);
    }
    const settle = (complete: boolean, aborted: boolean) =>
      settleAnswer(c, res.statusCode, NO_TOKENS, complete, aborted);

    const out: Record<string, string> = {};
    for (const name of PASS_RESPONSE) {
      const value = res.headers[name];
      if (typeof value === 'string') out[name] = value;
    }
    const status = res.statusCode as ContentfulStatusCode;
    const contentType = (out['content-type'] ?? '').toLowerCase();
    const sse = contentType.startsWith('text/event-stream');

    if (bodyless(res.statusCode, c.req.method)) {
      await res.body.dump().catch(() => {});
      settle(true, false);
      return c.body(null, res.statusCode as StatusCode, out);
    }
    // Whatever its content type says: a client may read any body as JSON.
    if (!sse && access) {
      let bytes: Uint8Array;
      try {
        const raw = await res.body.arrayBuffer();
        if (raw.byteLength > FILTER_JSON_LIMIT) throw new Error('too large');
        bytes = new Uint8Array(raw);
      } catch {
        settle(false, signal.aborted);
        return brokeOff(c, MCP_SERVER);
      }
      const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
      if (mayHoldList(text)) {
        try {
          const payload: unknown = JSON.parse(text);
          if (filterLists(payload, access)) bytes = Buffer.from(JSON.stringify(payload));
        } catch {
          // Not JSON: nothing a client could read a list from.
        }
      }
      settle(true, false);
      return c.body(bytes as Uint8Array<ArrayBuffer>, status, out);
    }
    const transform = sse && access ? new SseFilter(access) : null;
    return relayAnswer(c, res, out, sse, signal, { transform, settle });
  };

export function registerMcpRoutes(
  app: Hono<GatewayEnv>,
  deps: { upstream: UpstreamClient; mcp: () => Stage[] },
): void {
  for (const method of ['GET', 'POST', 'DELETE'])
    on(app, method, '/mcp/:server', deps.mcp(), mcpHandler(deps.upstream));
}
