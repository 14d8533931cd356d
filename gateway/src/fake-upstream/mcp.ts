import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A fake MCP server speaking the streamable HTTP transport (hand-written JSON-RPC, no SDK at runtime),
 * mounted on the fake upstream at two paths:
 * - `/mcp` answers every POST as application/json; GET is 405 (no server stream);
 * - `/mcp-sse` answers POSTs as text/event-stream (a log notification, then the response), and a GET
 *   opens a server stream that stays open until the client leaves.
 * Tools: search_issues, create_issue, delete_repo. Sessions are created by initialize and ended by DELETE.
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

export const isFakeMcpPath = (path: string) => path === '/mcp' || path === '/mcp-sse';

type Message = { jsonrpc?: string; id?: string | number; method?: string; params?: Record<string, unknown> };

const sessions = new Set<string>();

function callTool(
  name: string,
  args: Record<string, unknown>,
): { content: { type: 'text'; text: string }[] } | null {
  switch (name) {
    case 'search_issues':
      return { content: [{ type: 'text', text: `Found 2 issues matching "${String(args.query ?? '')}"` }] };
    case 'create_issue':
      return { content: [{ type: 'text', text: `Created issue #42: ${String(args.title ?? '')}` }] };
    case 'delete_repo':
      return { content: [{ type: 'text', text: `Deleted repository ${String(args.repo ?? '')}` }] };
    default:
      return null;
  }
}

function answer(m: Message, sessionId: string): object {
  const ok = (result: unknown) => ({ jsonrpc: '2.0', id: m.id, result });
  const fail = (code: number, message: string) => ({ jsonrpc: '2.0', id: m.id, error: { code, message } });
  switch (m.method) {
    case 'initialize':
      return ok({
        protocolVersion:
          typeof m.params?.protocolVersion === 'string' ? m.params.protocolVersion : '2025-06-18',
        capabilities: { tools: { listChanged: false }, logging: {} },
        serverInfo: { name: 'portcullis-fake-mcp', version: '0.1.0' },
        instructions: `session ${sessionId}`,
      });
    case 'ping':
      return ok({});
    case 'tools/list':
      return ok({ tools: FAKE_MCP_TOOLS });
    case 'tools/call': {
      const name = String(m.params?.name ?? '');
      const result = callTool(name, (m.params?.arguments as Record<string, unknown> | undefined) ?? {});
      return result ? ok(result) : fail(-32602, `Unknown tool: ${name}`);
    }
    default:
      return fail(-32601, `Method not found: ${String(m.method)}`);
  }
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

/** Handles one request on an MCP path; `body` is the parsed JSON body (or null). */
export function handleFakeMcp(req: IncomingMessage, res: ServerResponse, path: string, body: unknown): void {
  const streaming = path === '/mcp-sse';
  const method = req.method ?? 'GET';
  const given = req.headers['mcp-session-id'];
  const session = typeof given === 'string' ? given : undefined;
  if (session !== undefined && !sessions.has(session)) {
    json(res, 404, { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } });
    return;
  }
  if (method === 'DELETE') {
    if (session) sessions.delete(session);
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
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': stream open\n\n');
    return; // held open until the client goes away
  }
  if (method !== 'POST') {
    res.writeHead(405, { allow: 'GET, POST, DELETE' });
    res.end();
    return;
  }
  const messages = (Array.isArray(body) ? body : [body]) as Message[];
  if (messages.some((m) => typeof m !== 'object' || m === null)) {
    json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    return;
  }
  const initializing = messages.some((m) => m.method === 'initialize');
  if (!initializing && session === undefined) {
    json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Mcp-Session-Id required' } });
    return;
  }
  const sessionId = session ?? randomUUID();
  if (initializing) sessions.add(sessionId);
  const headers = { 'mcp-session-id': sessionId };
  const requests = messages.filter((m) => m.method !== undefined && m.id !== undefined);
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
  let eventId = 0;
  const log = { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'working' } };
  res.write(`id: ${++eventId}\ndata: ${JSON.stringify(log)}\n\n`);
  for (const a of answers) res.write(`id: ${++eventId}\nevent: message\ndata: ${JSON.stringify(a)}\n\n`);
  res.end();
}
