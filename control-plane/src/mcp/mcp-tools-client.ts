import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type McpTool, McpToolNameSchema } from '@portcullis/shared/mcp';
import { guardedLookup } from '@portcullis/shared/node/guarded-lookup';
import { allowedByName, type UpstreamAllowlist } from '@portcullis/shared/upstream-url';

/**
 * Reads an MCP server's tool catalog over the streamable HTTP transport: initialize, the initialized
 * notification, tools/list (every page), then DELETE of the session. Answers may be JSON or SSE.
 * The URL was checked by the SSRF guard when stored; here every DNS answer is checked too, so a name
 * re-pointed at an internal address is not connected to.
 */

export class McpFetchError extends Error {}

const PROTOCOL_VERSION = '2025-06-18';
const TIMEOUT_MS = 10_000;
const MAX_BYTES = 4 * 1024 * 1024;
const MAX_PAGES = 20;
const MAX_TOOLS = 500;

/** The admin is told the name is refused, not what internal address it resolves to. */
const refusal = (hostname: string) => new McpFetchError(`${hostname} does not resolve to a public address`);

interface Answer {
  status: number;
  sessionId: string | undefined;
  /** The JSON-RPC messages of the body (one for JSON, each data event for SSE). */
  messages: unknown[];
}

function send(
  url: URL,
  method: 'POST' | 'DELETE',
  headers: Record<string, string>,
  body: unknown,
  allowlist: UpstreamAllowlist,
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method,
        headers: {
          ...headers,
          accept: 'application/json, text/event-stream',
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
        },
        // A host the operator allowlisted by name may resolve to whatever it likes (as at the gateway).
        ...(allowedByName(url, allowlist) ? {} : { lookup: guardedLookup(allowlist, refusal) }),
        timeout: TIMEOUT_MS,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.byteLength;
          if (size > MAX_BYTES) req.destroy(new McpFetchError('the answer is too large'));
          else chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const type = String(res.headers['content-type'] ?? '');
          const session = res.headers['mcp-session-id'];
          resolve({
            status: res.statusCode ?? 0,
            sessionId: typeof session === 'string' ? session : undefined,
            messages: parseMessages(type, text),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new McpFetchError(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function parseMessages(contentType: string, text: string): unknown[] {
  const tryJson = (s: string): unknown[] => {
    try {
      const v: unknown = JSON.parse(s);
      return Array.isArray(v) ? v : [v];
    } catch {
      return [];
    }
  };
  if (!contentType.toLowerCase().startsWith('text/event-stream')) return text ? tryJson(text) : [];
  const out: unknown[] = [];
  for (const event of text.split(/\r\n\r\n|\n\n|\r\r/)) {
    const data = event
      .split(/\r\n|\r|\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(l[5] === ' ' ? 6 : 5));
    if (data.length > 0) out.push(...tryJson(data.join('\n')));
  }
  return out;
}

/** Control characters (C0, DEL) become spaces: descriptions are shown in tables. */
const withoutControlChars = (s: string) =>
  Array.from(s, (ch) => {
    const c = ch.charCodeAt(0);
    return c < 0x20 || c === 0x7f ? ' ' : ch;
  }).join('');

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function resultOf(answer: Answer, id: number, what: string): Record<string, unknown> {
  if (answer.status < 200 || answer.status >= 300)
    throw new McpFetchError(`${what} answered HTTP ${answer.status}`);
  const reply = answer.messages.find((m) => isRecord(m) && m.id === id);
  if (!isRecord(reply)) throw new McpFetchError(`${what} got no JSON-RPC answer`);
  if (isRecord(reply.error))
    throw new McpFetchError(`${what} failed: ${String(reply.error.message ?? 'error')}`.slice(0, 300));
  if (!isRecord(reply.result)) throw new McpFetchError(`${what} answered without a result`);
  return reply.result;
}

/** The server's tools, as the catalog stores them (names MCP allows; descriptions trimmed to 1000 chars). */
export async function fetchMcpTools(
  urlText: string,
  secretHeaders: Record<string, string>,
  allowlist: UpstreamAllowlist,
): Promise<McpTool[]> {
  const url = new URL(urlText);
  const init = await send(
    url,
    'POST',
    secretHeaders,
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'portcullis-control-plane', version: '0.1.0' },
      },
    },
    allowlist,
  );
  const initialized = resultOf(init, 1, 'initialize');
  const headers: Record<string, string> = {
    ...secretHeaders,
    'mcp-protocol-version':
      typeof initialized.protocolVersion === 'string' ? initialized.protocolVersion : PROTOCOL_VERSION,
    ...(init.sessionId ? { 'mcp-session-id': init.sessionId } : {}),
  };
  try {
    await send(url, 'POST', headers, { jsonrpc: '2.0', method: 'notifications/initialized' }, allowlist);
    const tools: McpTool[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const id = 2 + page;
      const answer = await send(
        url,
        'POST',
        headers,
        { jsonrpc: '2.0', id, method: 'tools/list', params: cursor ? { cursor } : {} },
        allowlist,
      );
      const result = resultOf(answer, id, 'tools/list');
      for (const t of Array.isArray(result.tools) ? result.tools : []) {
        if (!isRecord(t) || !McpToolNameSchema.safeParse(t.name).success) continue;
        const name = t.name as string;
        if (seen.has(name) || tools.length >= MAX_TOOLS) continue;
        seen.add(name);
        const description =
          typeof t.description === 'string' ? withoutControlChars(t.description).trim().slice(0, 1000) : '';
        tools.push(description ? { name, description } : { name });
      }
      cursor = typeof result.nextCursor === 'string' && result.nextCursor ? result.nextCursor : undefined;
      if (!cursor) break;
    }
    return tools;
  } finally {
    if (init.sessionId) await send(url, 'DELETE', headers, undefined, allowlist).catch(() => undefined);
  }
}
