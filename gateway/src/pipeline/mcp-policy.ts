import { mcpServerPermitted, mcpToolPermitted, mcpToolsRestricted } from '@portcullis/shared/mcp';
import type { Stage } from '../context.js';
import { errorResponse } from '../errors.js';
import type { McpServerEntry, SnapshotStore } from '../snapshot/store.js';
import { type BodyLimits, isJsonContentType, jsonDepthExceeds, readBody } from './body.js';

export type JsonRpcId = string | number;

/** What the MCP policy stage resolved for `/mcp/:server`, for the route. */
export interface McpTarget {
  server: McpServerEntry;
  /** Filter for `tools/list` results; null when the key may use every tool of this server. */
  toolAllowed: ((tool: string) => boolean) | null;
  /** Ids of the `tools/list` requests in this POST (their results get filtered). */
  listIds: Set<JsonRpcId>;
  /** The POST body as received, forwarded byte for byte; null for GET and DELETE. */
  body: Uint8Array | null;
}

const INSUFFICIENT = 'Insufficient permissions';
const quote = (s: string) => JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}…` : s);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The key's MCP policy at `/mcp/:server` (semantics: `mcpServerPermitted` / `mcpToolPermitted` in
 * shared/src/mcp.ts). In order:
 * - a server the policy does not permit (MCP disabled, deny_all, not in an allow_list, wholly denied by a
 *   deny_list) → 403 insufficient_scope, whether or not it exists, so a key learns nothing of others;
 * - an unknown or disabled server → 404 not_found;
 * - a POST is read (JSON-RPC message or batch, within the body limits) and any `tools/call` of a tool
 *   the policy does not permit → 403 insufficient_scope; a batch with one refused call is refused whole.
 *   `tools/list` requests are noted so the route filters their results.
 */
export const mcpPolicy =
  (store: SnapshotStore, limits: BodyLimits): Stage =>
  async (c, next) => {
    const name = c.req.param('server') ?? '';
    const policy = c.get('key').key.mcp;
    if (!mcpServerPermitted(policy, name)) return errorResponse(c, 'insufficient_scope', INSUFFICIENT);
    const server = store.mcpServers.get(name);
    if (!server?.server.enabled) return errorResponse(c, 'not_found', `No MCP server named ${quote(name)}`);
    const toolAllowed = mcpToolsRestricted(policy, name)
      ? (tool: string) => mcpToolPermitted(policy, name, tool)
      : null;
    const target: McpTarget = { server, toolAllowed, listIds: new Set(), body: null };
    if (c.req.method === 'POST') {
      if (!isJsonContentType(c.req.header('content-type')))
        return errorResponse(
          c,
          'invalid_request',
          'MCP messages must be JSON with Content-Type: application/json',
        );
      const read = await readBody(c, limits.maxBytes);
      if (!read.ok) return errorResponse(c, 'invalid_request', read.message);
      let json: unknown;
      try {
        const text = utf8.decode(read.bytes);
        if (jsonDepthExceeds(text, limits.maxDepth))
          return errorResponse(
            c,
            'invalid_request',
            `The request body is nested deeper than ${limits.maxDepth} levels`,
          );
        json = JSON.parse(text);
      } catch {
        return errorResponse(c, 'invalid_request', 'The request body is not valid JSON');
      }
      for (const message of Array.isArray(json) ? json : [json]) {
        if (!isRecord(message)) continue;
        if (message.method === 'tools/call') {
          const tool = isRecord(message.params) ? message.params.name : undefined;
          if (typeof tool !== 'string')
            return errorResponse(c, 'invalid_request', 'tools/call must name a tool');
          if (!mcpToolPermitted(policy, name, tool))
            return errorResponse(
              c,
              'insufficient_scope',
              `${INSUFFICIENT}: this API key may not call the tool ${quote(tool)} of the MCP server ${quote(name)}`,
            );
        } else if (
          message.method === 'tools/list' &&
          toolAllowed &&
          (typeof message.id === 'string' || typeof message.id === 'number')
        ) {
          target.listIds.add(message.id);
        }
      }
      target.body = read.bytes;
    }
    c.set('mcp', target);
    return next();
  };
