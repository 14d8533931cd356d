import { z } from 'zod';
import { type McpPolicy, noControlChars } from './api-keys';

/**
 * MCP servers: request schemas (control plane), views (dashboard) and the key's MCP policy evaluated
 * against a server and a tool (gateway, dashboard). The URL is only checked for shape here; the SSRF
 * guard (`upstream-url.ts`) needs the operator's allowlist, so the control plane applies it after
 * parsing and the gateway again before connecting.
 */

const required = (what: string) => ({
  error: (i: { input: unknown }) => (i.input === undefined ? 'is required' : `must be ${what}`),
});

export const MCP_SERVER_NAME_MAX = 64;

/** The server's name: `:server` in the gateway's `/mcp/:server`, and what keys' `mcp.servers` name. */
export const McpServerNameSchema = z
  .string(required('a string'))
  .min(1, 'must not be empty')
  .max(MCP_SERVER_NAME_MAX, `must be at most ${MCP_SERVER_NAME_MAX} characters`)
  .regex(
    /^[a-z0-9][a-z0-9_-]*$/,
    'must be lowercase letters, digits, - and _, starting with a letter or digit',
  );

const McpUrlSchema = z
  .string(required('a URL'))
  .trim()
  .min(1, 'must not be empty')
  .max(2048, 'must be at most 2048 characters')
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL without credentials (put secrets in headers)');

const Description = z
  .string(required('a string'))
  .trim()
  .max(1000, 'must be at most 1000 characters')
  .refine(noControlChars, 'must not contain control characters');

/**
 * Headers the gateway itself sets or that belong to the transport or the connection: a server's secret
 * headers may not replace them.
 */
export const MCP_RESERVED_HEADERS = [
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'content-length',
  'content-type',
  'accept',
  'accept-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
] as const;
const RESERVED = new Set<string>(MCP_RESERVED_HEADERS);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const HeaderValue = z
  .string('must be a string')
  .min(1, 'must not be empty')
  .max(8192, 'must be at most 8192 characters')
  .refine(noControlChars, 'must not contain control characters');

/** Secret headers sent upstream (e.g. `Authorization: Bearer …`); stored sealed, never returned. */
export const McpHeadersSchema = z
  .record(z.string(), HeaderValue, 'must be an object of header names to values')
  .superRefine((headers, ctx) => {
    const seen = new Set<string>();
    const names = Object.keys(headers);
    if (names.length > 20) ctx.addIssue({ code: 'custom', message: 'must hold at most 20 headers' });
    for (const name of names) {
      const lower = name.toLowerCase();
      if (!HEADER_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is not a valid HTTP header name' });
      } else if (RESERVED.has(lower)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'is set by the gateway and cannot be configured',
        });
      } else if (seen.has(lower)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is given twice (header names ignore case)' });
      }
      seen.add(lower);
    }
  });
export type McpHeaders = z.infer<typeof McpHeadersSchema>;

/** Tool names as MCP allows them (and as a key's `mcp.tools` name them). */
export const McpToolNameSchema = z
  .string(required('a string'))
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be a name of letters, digits, . _ : -');

export const McpToolSchema = z.strictObject({
  name: McpToolNameSchema,
  description: Description.optional(),
});
export type McpTool = z.infer<typeof McpToolSchema>;

const McpToolsSchema = z
  .array(McpToolSchema, 'must be a list of tools')
  .max(500, 'must hold at most 500 tools')
  .superRefine((tools, ctx) => {
    const seen = new Set<string>();
    tools.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'is listed twice' });
      seen.add(t.name);
    });
  });

export const CreateMcpServerSchema = z.strictObject({
  name: McpServerNameSchema,
  url: McpUrlSchema,
  description: Description.nullable().optional(),
  headers: McpHeadersSchema.optional(),
  tools: McpToolsSchema.optional(),
  enabled: z.boolean('must be true or false').default(true),
});
export type CreateMcpServerInput = z.infer<typeof CreateMcpServerSchema>;

/** PATCH: `headers` replaces every secret header (`{}` removes them all); `tools` replaces the catalog. */
export const UpdateMcpServerSchema = z
  .strictObject({
    name: McpServerNameSchema.optional(),
    url: McpUrlSchema.optional(),
    description: Description.nullable().optional(),
    headers: McpHeadersSchema.optional(),
    tools: McpToolsSchema.optional(),
    enabled: z.boolean('must be true or false').optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'the body must change at least one field');
export type UpdateMcpServerInput = z.infer<typeof UpdateMcpServerSchema>;

export interface McpServerView {
  id: string;
  name: string;
  url: string;
  description: string | null;
  /** The configured secret headers' names; their values are never returned. */
  headerNames: string[];
  tools: McpTool[];
  enabled: boolean;
  /** Keys whose MCP policy names this server (allowed or denied), revoked and deleted keys aside. */
  usedBy: { type: 'key'; id: string; name: string }[];
  createdAt: string;
  updatedAt: string;
}

/**
 * A key's MCP policy, evaluated. Servers are named by their `name`; tools by their MCP tool name.
 *
 * - `enabled: false` → no MCP at all.
 * - `allow_all` → every server, every tool. `deny_all` → nothing.
 * - `allow_list` → only the servers in `servers`; for such a server, `tools[server]` (when present)
 *   lists the only tools permitted (an empty list permits none), absent means all its tools.
 * - `deny_list` → every server except those in `servers` whose `tools[server]` is absent (denied
 *   wholly); a listed server with `tools[server]` present stays reachable and only those tools are denied.
 *
 * Names are compared exactly. A policy may name servers that do not exist (yet): names bind late.
 */
export function mcpServerPermitted(policy: McpPolicy, server: string): boolean {
  if (!policy.enabled) return false;
  switch (policy.mode) {
    case 'allow_all':
      return true;
    case 'deny_all':
      return false;
    case 'allow_list':
      return policy.servers.includes(server);
    case 'deny_list':
      return !policy.servers.includes(server) || Object.hasOwn(policy.tools, server);
  }
}

/** Whether `tool` of `server` may be listed and called (false whenever the server is not permitted). */
export function mcpToolPermitted(policy: McpPolicy, server: string, tool: string): boolean {
  if (!mcpServerPermitted(policy, server)) return false;
  const listed = Object.hasOwn(policy.tools, server) ? policy.tools[server] : undefined;
  switch (policy.mode) {
    case 'allow_all':
      return true;
    case 'deny_all':
      return false;
    case 'allow_list':
      return listed === undefined || listed.includes(tool);
    case 'deny_list':
      return listed === undefined || !policy.servers.includes(server) || !listed.includes(tool);
  }
}

/** True when the policy permits some but maybe not all tools of a permitted server (lists need filtering). */
export function mcpToolsRestricted(policy: McpPolicy, server: string): boolean {
  return (
    mcpServerPermitted(policy, server) &&
    (policy.mode === 'allow_list' || policy.mode === 'deny_list') &&
    Object.hasOwn(policy.tools, server)
  );
}
