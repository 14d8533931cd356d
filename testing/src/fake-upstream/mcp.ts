import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A fake MCP server speaking the streamable HTTP transport (hand-written JSON-RPC, no SDK at runtime),
 * mounted on the fake upstream at:
 * - `/mcp`: answers every POST as application/json; GET is 405 (no server stream);
 * - `/mcp-sse`: answers POSTs as text/event-stream (a log notification, then the answers) and keeps
 *   those events; a GET opens a server stream that first replays the session's events after
 *   `Last-Event-ID` (resumption, as the transport specifies) and stays open until the client leaves;
 * - `/mcp-lax`, `/mcp-lax-sse`: the same, but answering requests whatever their `id` (null, an object…)
 *   as servers built on lax JSON-RPC libraries do; the strict paths refuse such messages as the official
 *   SDK does (400, Invalid Request).
 *
 * Tools search_issues, create_issue, delete_repo; resources under file:///docs/ and file:///secrets/
 * (paths resolved as URLs, so `..` and %2e%2e segments reach other files, as on a real file server),
 * three resource templates; prompts code_review, summarize, release_notes; completion for prompt
 * arguments and template variables; logging/setLevel. Sessions are created by initialize and ended by
 * DELETE. Unknown methods, missing or ill-typed params are JSON-RPC errors.
 */

export const FAKE_MCP_TOOLS = [
  {
    name: 'search_issues',
    description: 'Search issues by text',
    inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  },
  {
    name: 'create_issue',
    description: 'Open a new issue',
    inputSchema: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] },
  },
  {
    name: 'delete_repo',
    description: 'Delete a repository',
    inputSchema: { type: 'object', properties: { repo: { type: 'string' } }, required: ['repo'] },
  },
] as const;

/** The files behind the resources, by URL path. */
const FILES: Record<string, { mimeType: string; text: string }> = {
  '/docs/readme.md': { mimeType: 'text/markdown', text: '# Acme\nThe readme.' },
  '/docs/changelog.md': { mimeType: 'text/markdown', text: '## 1.0\nFirst release.' },
  '/secrets/prod.env': { mimeType: 'text/plain', text: 'API_TOKEN=fake-production-secret' },
};

export const FAKE_MCP_RESOURCES = [
  { uri: 'file:///docs/readme.md', name: 'readme.md', mimeType: 'text/markdown' },
  { uri: 'file:///docs/changelog.md', name: 'changelog.md', mimeType: 'text/markdown' },
  { uri: 'file:///secrets/prod.env', name: 'prod.env', mimeType: 'text/plain' },
] as const;

export const FAKE_MCP_RESOURCE_TEMPLATES = [
  { uriTemplate: 'file:///docs/{name}', name: 'doc', description: 'A document by name' },
  { uriTemplate: 'file:///secrets/{name}', name: 'secret', description: 'A secret file by name' },
  { uriTemplate: 'file:///{+path}', name: 'file', description: 'Any file by path' },
] as const;

export const FAKE_MCP_PROMPTS = [
  {
    name: 'code_review',
    description: 'Review a piece of code',
    arguments: [
      { name: 'code', description: 'The code to review', required: true },
      { name: 'language', description: 'Its language', required: false },
    ],
  },
  {
    name: 'summarize',
    description: 'Summarize a text',
    arguments: [{ name: 'text', description: 'The text', required: true }],
  },
  {
    name: 'release_notes',
    description: 'Draft release notes (reads the secrets to sign them)',
    arguments: [{ name: 'version', description: 'The version', required: false }],
  },
] as const;

const LANGUAGES = ['python', 'rust', 'typescript'];
const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

export const isFakeMcpPath = (path: string) =>
  path === '/mcp' || path === '/mcp-sse' || path === '/mcp-lax' || path === '/mcp-lax-sse';

type Message = Record<string, unknown>;
type Params = Record<string, unknown>;

const sessions = new Set<string>();
/** SSE events sent on each session's streams, kept for resumption (the last 100). */
const events = new Map<string, { id: number; text: string }[]>();
let nextEventId = 0;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}
const invalidParams = (message: string) => new RpcError(-32602, message);
const text = (p: Params, field: string): string => {
  const v = p[field];
  if (typeof v !== 'string') throw invalidParams(`${field} must be a string`);
  return v;
};

function callTool(name: string, args: Params): { content: { type: 'text'; text: string }[] } {
  switch (name) {
    case 'search_issues':
      return { content: [{ type: 'text', text: `Found 2 issues matching "${String(args.query ?? '')}"` }] };
    case 'create_issue':
      return { content: [{ type: 'text', text: `Created issue #42: ${String(args.title ?? '')}` }] };
    case 'delete_repo':
      return { content: [{ type: 'text', text: `Deleted repository ${String(args.repo ?? '')}` }] };
    default:
      throw invalidParams(`Unknown tool: ${name}`);
  }
}

/** The file a `file:` URI names, resolved the way a file server would (dot segments, %-escapes). */
function file(uri: string): { mimeType: string; text: string } {
  let path: string | null = null;
  try {
    const url = new URL(uri);
    if (url.protocol === 'file:') path = decodeURIComponent(url.pathname);
  } catch {
    // not a URL
  }
  const found = path === null ? undefined : FILES[path];
  if (!found) throw new RpcError(-32002, 'Resource not found', { uri });
  return found;
}

function getPrompt(name: string, args: Params) {
  const prompt = FAKE_MCP_PROMPTS.find((p) => p.name === name);
  if (!prompt) throw invalidParams(`Unknown prompt: ${name}`);
  for (const a of prompt.arguments)
    if (a.required && typeof args[a.name] !== 'string')
      throw invalidParams(`Missing required argument: ${a.name}`);
  const say = (t: string) => ({ role: 'user', content: { type: 'text', text: t } });
  switch (prompt.name) {
    case 'code_review':
      return { description: prompt.description, messages: [say(`Review this code:\n${String(args.code)}`)] };
    case 'summarize':
      return { description: prompt.description, messages: [say(`Summarize:\n${String(args.text)}`)] };
    case 'release_notes':
      return {
        description: prompt.description,
        messages: [
          say(`Notes for ${String(args.version ?? 'next')}, signed with ${FILES['/secrets/prod.env']?.text}`),
        ],
      };
  }
}

function complete(p: Params) {
  const ref = p.ref;
  const argument = p.argument;
  if (!isRecord(ref) || !isRecord(argument)) throw invalidParams('ref and argument are required');
  const value = text(argument, 'value');
  let candidates: string[];
  if (ref.type === 'ref/prompt') {
    const prompt = FAKE_MCP_PROMPTS.find((x) => x.name === ref.name);
    if (!prompt) throw invalidParams(`Unknown prompt: ${String(ref.name)}`);
    candidates = argument.name === 'language' ? LANGUAGES : [];
  } else if (ref.type === 'ref/resource') {
    const dir = /^file:\/\/\/(docs|secrets)\/\{name\}$/.exec(String(ref.uri));
    if (!dir) throw invalidParams(`Unknown resource template: ${String(ref.uri)}`);
    const folder = `/${dir[1]}/`;
    candidates = Object.keys(FILES)
      .filter((f) => f.startsWith(folder))
      .map((f) => f.slice(folder.length));
  } else {
    throw invalidParams('ref.type must be ref/prompt or ref/resource');
  }
  const values = candidates.filter((c) => c.startsWith(value));
  return { completion: { values, total: values.length, hasMore: false } };
}

function result(method: string, p: Params, sessionId: string): unknown {
  switch (method) {
    case 'initialize':
      return {
        protocolVersion: typeof p.protocolVersion === 'string' ? p.protocolVersion : '2025-06-18',
        capabilities: {
          tools: { listChanged: false },
          resources: { subscribe: true, listChanged: false },
          prompts: { listChanged: false },
          completions: {},
          logging: {},
        },
        serverInfo: { name: 'portcullis-fake-mcp', version: '0.2.0' },
        instructions: `session ${sessionId}`,
      };
    case 'ping':
      return {};
    case 'logging/setLevel':
      if (!LOG_LEVELS.includes(text(p, 'level'))) throw invalidParams('Unknown log level');
      return {};
    case 'tools/list':
      return { tools: FAKE_MCP_TOOLS };
    case 'tools/call':
      return callTool(text(p, 'name'), isRecord(p.arguments) ? p.arguments : {});
    case 'resources/list':
      return { resources: FAKE_MCP_RESOURCES };
    case 'resources/templates/list':
      return { resourceTemplates: FAKE_MCP_RESOURCE_TEMPLATES };
    case 'resources/read': {
      const uri = text(p, 'uri');
      const f = file(uri);
      return { contents: [{ uri, mimeType: f.mimeType, text: f.text }] };
    }
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      file(text(p, 'uri'));
      return {};
    case 'prompts/list':
      return { prompts: FAKE_MCP_PROMPTS };
    case 'prompts/get':
      return getPrompt(text(p, 'name'), isRecord(p.arguments) ? p.arguments : {});
    case 'completion/complete':
      return complete(p);
    default:
      throw new RpcError(-32601, `Method not found: ${method}`);
  }
}

function answer(m: Message, sessionId: string): object {
  try {
    if (m.params !== undefined && !isRecord(m.params)) throw invalidParams('params must be an object');
    return { jsonrpc: '2.0', id: m.id, result: result(m.method as string, m.params ?? {}, sessionId) };
  } catch (err) {
    const e = err instanceof RpcError ? err : new RpcError(-32603, 'Internal error');
    const error = { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) };
    return { jsonrpc: '2.0', id: m.id, error };
  }
}

type Kind = 'request' | 'notification' | 'response' | null;
/** What a message is, strictly (ids string or integer, as the official SDK) or laxly (any id). */
function kind(m: unknown, lax: boolean): Kind {
  if (!isRecord(m) || m.jsonrpc !== '2.0') return null;
  if (typeof m.method === 'string') {
    if (!('id' in m)) return 'notification';
    const id = m.id;
    return lax || typeof id === 'string' || Number.isInteger(id) ? 'request' : null;
  }
  if ('method' in m) return null;
  return 'result' in m || 'error' in m ? 'response' : null;
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sendEvent(res: ServerResponse, session: string, data: unknown, event?: string): void {
  const id = ++nextEventId;
  const text = `id: ${id}\n${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
  const kept = events.get(session) ?? [];
  events.set(session, kept);
  kept.push({ id, text });
  if (kept.length > 100) kept.shift();
  res.write(text);
}

/** Handles one request on an MCP path; `body` is the parsed JSON body (or null, or the text if not JSON). */
export function handleFakeMcp(req: IncomingMessage, res: ServerResponse, path: string, body: unknown): void {
  const streaming = path.endsWith('-sse');
  const lax = path.startsWith('/mcp-lax');
  const method = req.method ?? 'GET';
  const given = req.headers['mcp-session-id'];
  const session = typeof given === 'string' ? given : undefined;
  if (session !== undefined && !sessions.has(session)) {
    json(res, 404, { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } });
    return;
  }
  if (method === 'DELETE') {
    if (session) {
      sessions.delete(session);
      events.delete(session);
    }
    res.writeHead(session ? 200 : 400);
    res.end();
    return;
  }
  if (method === 'GET') {
    if (!streaming) {
      res.writeHead(405, { allow: 'POST, DELETE' });
      res.end();
      return;
    }
    if (session === undefined) {
      json(res, 400, {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32000, message: 'Mcp-Session-Id required' },
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': stream open\n\n');
    const last = Number(req.headers['last-event-id']);
    if (Number.isInteger(last)) for (const e of events.get(session) ?? []) if (e.id > last) res.write(e.text);
    return; // held open until the client goes away
  }
  if (method !== 'POST') {
    res.writeHead(405, { allow: 'GET, POST, DELETE' });
    res.end();
    return;
  }
  if (typeof body === 'string' || body === null) {
    json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    return;
  }
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  const kinds = messages.map((m) => kind(m, lax));
  if (messages.length === 0 || kinds.includes(null)) {
    json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } });
    return;
  }
  const initializing = messages.some((m) => (m as Message).method === 'initialize');
  if (!initializing && session === undefined) {
    json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Mcp-Session-Id required' } });
    return;
  }
  const sessionId = session ?? randomUUID();
  if (initializing) sessions.add(sessionId);
  const headers = { 'mcp-session-id': sessionId };
  const requests = messages.filter((_, i) => kinds[i] === 'request') as Message[];
  if (requests.length === 0) {
    res.writeHead(202, headers);
    res.end();
    return;
  }
  const answers = requests.map((m) => answer(m, sessionId));
  if (!streaming) {
    json(res, 200, Array.isArray(body) ? answers : answers[0], headers);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  const log = { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'working' } };
  sendEvent(res, sessionId, log);
  for (const a of answers) sendEvent(res, sessionId, a, 'message');
  res.end();
}
