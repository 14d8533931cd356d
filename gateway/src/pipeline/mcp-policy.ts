import { type McpPolicyRules, type McpServerAccess, mcpServerAccess } from '@portcullis/shared/mcp';
import { after, type McpTarget, type Stage } from '../context.js';
import { errorResponse } from '../errors.js';
import type { SnapshotStore } from '../snapshot/store.js';
import { type BodyLimits, isJsonContentType, jsonDepthExceeds, readBody } from './body.js';
import { findDuplicateKey, foldKey } from './json-duplicate-keys.js';

const INSUFFICIENT = 'Insufficient permissions';
const quote = (s: string) => JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}…` : s);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const utf8 = new TextDecoder('utf-8', { fatal: true });
const UTF8_CHARSET = /;\s*charset\s*=\s*("?)utf-?8\1\s*(?=;|$)/gi;
/**
 * No charset parameter, or only utf-8 ones. Anything else naming a charset (another one, or a spelling
 * this does not know, such as `charset*=`) is refused: a server may read any of them.
 */
function utf8Charset(contentType: string | undefined): boolean {
  if (contentType === undefined || !/charset/i.test(contentType)) return true;
  return !/charset/i.test(contentType.replace(UTF8_CHARSET, ''));
}

/**
 * Access per (policy object, server), built once: keys sharing a policy share its object (snapshot
 * decoding dedupes policies), and a new policy arrives as a new object, so nothing here goes stale.
 */
const accessCache = new WeakMap<McpPolicyRules, Map<string, McpServerAccess | null>>();
function accessFor(policy: McpPolicyRules, server: string): McpServerAccess | null {
  let byServer = accessCache.get(policy);
  if (!byServer) {
    byServer = new Map();
    accessCache.set(policy, byServer);
  }
  let access = byServer.get(server);
  if (access === undefined) {
    access = mcpServerAccess(policy, server);
    // Bounded: a policy names at most 100 servers, and names it does not list all get the same answer;
    // this only stops a client cycling through random server names from growing the map.
    if (byServer.size < 256) byServer.set(server, access);
  }
  return access;
}

/** Methods any key that reaches the server may send: the session's plumbing, nothing of its content. */
const PLUMBING = new Set(['initialize', 'ping', 'logging/setLevel']);
/** List methods: they pass, and their answers are filtered (by shape, in the route). */
const LISTS = new Set(['tools/list', 'resources/list', 'resources/templates/list', 'prompts/list']);

type Verdict = null | { code: 'invalid_request' | 'insufficient_scope'; message: string };

const invalid = (where: string, what: string): Verdict => ({
  code: 'invalid_request',
  message: `${where} ${what}`,
});
const refused = (server: string, what: string): Verdict => ({
  code: 'insufficient_scope',
  message: `${INSUFFICIENT}: this API key may not ${what} of the MCP server ${quote(server)}`,
});
const missing = (where: string, method: string, field: string): Verdict =>
  invalid(where, `(${method}) must give params.${field} as a string`);

/**
 * One JSON-RPC message from the client, against what the key may use of `server` (fail closed: a
 * method not named here is refused unless the key may use everything of the server).
 */
function check(message: unknown, access: McpServerAccess, server: string, where: string): Verdict {
  if (!isRecord(message)) return invalid(where, 'is not a JSON-RPC message object');
  const method = message.method;
  if (method === undefined) {
    // A response to a request the server sent (sampling, elicitation, roots) passes unchecked, so it
    // may not carry a method under another case either (`"Method"`: Go decoders would read it).
    if (
      (Object.hasOwn(message, 'result') || Object.hasOwn(message, 'error')) &&
      !Object.keys(message).some((k) => foldKey(k) === 'METHOD')
    )
      return null;
    return invalid(where, 'is not a JSON-RPC message: it has no method, result or error');
  }
  if (typeof method !== 'string') return invalid(where, 'has a method that is not a string');
  if (PLUMBING.has(method) || LISTS.has(method) || method.startsWith('notifications/')) return null;
  const params = isRecord(message.params) ? message.params : undefined;
  switch (method) {
    case 'tools/call': {
      const name = params?.name;
      if (typeof name !== 'string') return missing(where, method, 'name');
      return access.tool(name) ? null : refused(server, `call the tool ${quote(name)}`);
    }
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe': {
      const uri = params?.uri;
      if (typeof uri !== 'string') return missing(where, method, 'uri');
      return access.resource(uri) ? null : refused(server, `read the resource ${quote(uri)}`);
    }
    case 'prompts/get': {
      const name = params?.name;
      if (typeof name !== 'string') return missing(where, method, 'name');
      return access.prompt(name) ? null : refused(server, `use the prompt ${quote(name)}`);
    }
    case 'completion/complete': {
      const ref = params?.ref;
      if (!isRecord(ref)) return invalid(where, `(${method}) must give params.ref as an object`);
      if (ref.type === 'ref/prompt' && typeof ref.name === 'string')
        return access.prompt(ref.name) ? null : refused(server, `use the prompt ${quote(ref.name)}`);
      if (ref.type === 'ref/resource' && typeof ref.uri === 'string')
        return access.resourceTemplate(ref.uri)
          ? null
          : refused(server, `read the resources ${quote(ref.uri)}`);
      return access.full ? null : refused(server, `complete arguments of ${quote(String(ref.type))}`);
    }
    default:
      return access.full ? null : refused(server, `use the method ${quote(method)}`);
  }
}

/**
 * The key's MCP policy at `/mcp/:server` (semantics: `mcpServerAccess` in shared/src/mcp.ts). In order:
 * - a server the policy does not permit (MCP disabled, deny_all, not in an allow_list, wholly denied by a
 *   deny_list) → 403 insufficient_scope, whether or not it exists, so a key learns nothing of others;
 * - an unknown or disabled server → 404 not_found;
 * - a POST is read (within the body limits) and must be UTF-8 JSON without a repeated key in any object,
 *   case folded (the body goes upstream byte for byte, and a parser that keeps the first of two keys,
 *   or matches keys ignoring case, would read another message than the one checked here), holding one
 *   JSON-RPC message or a non-empty batch of them, each an object → else 400 invalid_request;
 * - each message is checked (`check`): a tool, resource, prompt or completion the key may not use, or
 *   any method but the plumbing and the lists where the key's access is restricted → 403
 *   insufficient_scope, and a batch with one such message is refused whole.
 * List answers are filtered by the route, by their shape.
 */
export const mcpPolicy =
  (store: SnapshotStore, limits: BodyLimits): Stage =>
  async (c, next) => {
    const name = c.req.param('server') ?? '';
    const access = accessFor(after(c, 'key').key.mcp, name);
    if (access === null) return errorResponse(c, 'insufficient_scope', INSUFFICIENT);
    const server = store.mcpServers.get(name);
    if (!server?.server.enabled) return errorResponse(c, 'not_found', `No MCP server named ${quote(name)}`);
    const target: McpTarget = { server, access: access.full ? null : access, body: null };
    if (c.req.method === 'POST') {
      const contentType = c.req.header('content-type');
      if (!isJsonContentType(contentType))
        return errorResponse(
          c,
          'invalid_request',
          'MCP messages must be JSON with Content-Type: application/json',
        );
      // The body is checked as UTF-8 and forwarded with the client's Content-Type: a server that honours
      // another charset (body parsers accept utf-7 and utf-16) would decode other text than was checked.
      if (!utf8Charset(contentType))
        return errorResponse(c, 'invalid_request', 'MCP messages must be UTF-8 (charset=utf-8 or none)');
      const read = await readBody(c, limits.maxBytes);
      if (!read.ok) return errorResponse(c, 'invalid_request', read.message);
      let json: unknown;
      let text: string;
      try {
        text = utf8.decode(read.bytes);
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
      // Case folded too: servers decoding with Go's encoding/json match keys to fields ignoring case.
      const repeated = findDuplicateKey(text, true);
      if (repeated !== null)
        return errorResponse(
          c,
          'invalid_request',
          `The request body repeats the key ${quote(repeated)} in one object (keys that differ only in case count as the same)`,
        );
      if (Array.isArray(json)) {
        if (json.length === 0) return errorResponse(c, 'invalid_request', 'The JSON-RPC batch is empty');
        for (let i = 0; i < json.length; i++) {
          const verdict = check(json[i], access, name, `Batch entry ${i}`);
          if (verdict) return errorResponse(c, verdict.code, verdict.message);
        }
      } else {
        const verdict = check(json, access, name, 'The request body');
        if (verdict) return errorResponse(c, verdict.code, verdict.message);
      }
      target.body = read.bytes;
    }
    c.set('mcp', target);
    return next();
  };
