import { z } from 'zod';
import { Timestamp } from './api/fields';
import {
  decodeUriForMatch,
  lowerUriScheme,
  type McpPolicy,
  noControlChars,
  uriHasDotSegment,
} from './api-keys';

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

export const McpServerViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** Admins only: members pick servers and tools by name and never learn where a server is. */
  url: z.string().optional(),
  description: z.string().nullable(),
  /** Admins only: the configured secret headers' names; their values are never returned to anyone. */
  headerNames: z.array(z.string()).optional(),
  tools: z.array(z.object({ name: z.string(), description: z.string().optional() })),
  enabled: z.boolean(),
  /** Keys whose MCP policy names this server (allowed or denied), revoked and deleted keys aside. */
  usedBy: z.array(z.object({ type: z.literal('key'), id: z.string(), name: z.string() })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type McpServerView = z.infer<typeof McpServerViewSchema>;

/** What evaluation reads of a key's MCP policy: `resources`/`prompts` absent mean `{}`. */
export type McpPolicyRules = Pick<McpPolicy, 'enabled' | 'mode' | 'servers' | 'tools'> &
  Partial<Pick<McpPolicy, 'resources' | 'prompts'>>;

/**
 * A key's MCP policy, evaluated. Servers are named by their `name`, tools and prompts by their MCP name,
 * resources by URI patterns (an exact URI, or a prefix ending in `*`; `*` alone is every URI).
 *
 * Which servers:
 * - `enabled: false` → no MCP at all. `allow_all` → every server. `deny_all` → none.
 * - `allow_list` → only the servers in `servers`.
 * - `deny_list` → every server except those in `servers` that have no `tools`, `resources` or `prompts`
 *   entry (denied wholly); a listed server with an entry stays reachable and only what its entries
 *   list is denied.
 *
 * For a reachable server, each kind (tools, resources, prompts) is:
 *
 * | mode        | entry for the server   | tools        | resources / prompts                          |
 * |-------------|------------------------|--------------|----------------------------------------------|
 * | allow_all   | (ignored)              | all          | all                                          |
 * | allow_list  | present                | only listed  | only listed                                  |
 * | allow_list  | absent                 | all          | as the tools: all when `tools[server]` is    |
 * |             |                        |              | absent, none when it is present              |
 * | deny_list   | server not in servers  | all          | all                                          |
 * | deny_list   | present                | all but listed | all but listed                             |
 * | deny_list   | absent (server listed, | all          | all                                          |
 * |             | another kind present)  |              |                                              |
 *
 * An empty list is a list: `allow_list` with `tools: { github: [] }` reaches github but none of its tools
 * (and, without their own entries, none of its resources or prompts either).
 *
 * Resource URIs are compared as written and percent-decoded, the scheme in lower case, nothing else
 * normalized: an allow pattern must match both forms, a deny pattern matching either denies. Where
 * resources are restricted (anything but "all"), a URI with a `.`/`..` path segment (also %-encoded), a
 * backslash, a control character or a malformed %-escape is refused. A resource template is listed (and
 * completable) only if every URI it can produce is readable: under an allow list, its literal prefix
 * (the text before its first `{`) must start with a prefix pattern (an exact pattern never covers a
 * template); under a deny list, no deny pattern may overlap it (exact `u` starting with the prefix, or
 * prefix `p*` where one of `p` and the prefix starts with the other). A template without `{` is a URI.
 * Deny lists compare text, so aliases a server resolves (case, symlinks) get through them: prefer allow
 * lists for resources that matter.
 *
 * Names are compared exactly. A policy may name servers that do not exist (yet): names bind late.
 */
export function mcpServerPermitted(policy: McpPolicyRules, server: string): boolean {
  if (!policy.enabled) return false;
  switch (policy.mode) {
    case 'allow_all':
      return true;
    case 'deny_all':
      return false;
    case 'allow_list':
      return policy.servers.includes(server);
    case 'deny_list':
      return !policy.servers.includes(server) || hasEntry(policy, server);
  }
}

const own = (lists: Record<string, string[]> | undefined, server: string): string[] | undefined =>
  lists !== undefined && Object.hasOwn(lists, server) ? lists[server] : undefined;

const hasEntry = (policy: McpPolicyRules, server: string): boolean =>
  own(policy.tools, server) !== undefined ||
  own(policy.resources, server) !== undefined ||
  own(policy.prompts, server) !== undefined;

type NameRule =
  | { readonly kind: 'all' }
  | { readonly kind: 'none' }
  | { readonly kind: 'only' | 'except'; readonly names: ReadonlySet<string> };

interface UriForm {
  raw: string;
  decoded: string;
}
interface UriPattern {
  /** As written in the policy. */
  text: string;
  /** Without the trailing `*` for a prefix. */
  raw: string;
  decoded: string;
  prefix: boolean;
}
type UriRule =
  | { readonly kind: 'all' }
  | { readonly kind: 'none' }
  | { readonly kind: 'only' | 'except'; readonly patterns: UriPattern[] };

const ALL = { kind: 'all' } as const;
const NONE = { kind: 'none' } as const;

const nameRule = (kind: 'only' | 'except', names: string[]): NameRule => ({ kind, names: new Set(names) });
const uriRule = (kind: 'only' | 'except', patterns: string[]): UriRule => ({
  kind,
  patterns: patterns.flatMap((p) => {
    const prefix = p.endsWith('*');
    const body = prefix ? p.slice(0, -1) : p;
    const form = uriForm(body);
    // Patterns are validated when stored; one that is not (a hand-made snapshot) matches nothing.
    return form ? [{ text: p, raw: form.raw, decoded: form.decoded, prefix }] : [];
  }),
});

/**
 * The URI as compared (see above), or null when it may not be compared at all: a dot segment, a
 * backslash, a control character or a malformed escape.
 */
function uriForm(uri: string): UriForm | null {
  if (uri.includes('\\') || !noControlChars(uri) || uriHasDotSegment(uri)) return null;
  const decoded = decodeUriForMatch(uri);
  if (decoded === null || decoded.includes('\\') || !noControlChars(decoded) || uriHasDotSegment(decoded))
    return null;
  return { raw: lowerUriScheme(uri), decoded };
}

const matches = (p: UriPattern, u: UriForm, form: 'raw' | 'decoded') =>
  p.prefix ? u[form].startsWith(p[form]) : u[form] === p[form];

/** Whether a pattern could match some URI starting with `prefix` (a template's literal prefix). */
const overlaps = (p: UriPattern, prefix: UriForm, form: 'raw' | 'decoded') =>
  p[form].startsWith(prefix[form]) || (p.prefix && prefix[form].startsWith(p[form]));

/** Every URI `inner` matches (both forms, as an allow pattern), `outer` matches too. */
const covers = (outer: UriPattern, inner: UriPattern): boolean =>
  outer.prefix
    ? inner.raw.startsWith(outer.raw) && inner.decoded.startsWith(outer.decoded)
    : !inner.prefix && inner.raw === outer.raw && inner.decoded === outer.decoded;

/** Whether some URI could match both patterns (in either form: errs towards yes). */
const patternsOverlap = (a: UriPattern, b: UriPattern): boolean =>
  (['raw', 'decoded'] as const).some((form) => {
    const x = a[form];
    const y = b[form];
    if (a.prefix && b.prefix) return x.startsWith(y) || y.startsWith(x);
    if (a.prefix) return y.startsWith(x);
    if (b.prefix) return x.startsWith(y);
    return x === y;
  });

const permitsName = (rule: NameRule, name: string): boolean => {
  switch (rule.kind) {
    case 'all':
      return true;
    case 'none':
      return false;
    case 'only':
      return rule.names.has(name);
    case 'except':
      return !rule.names.has(name);
  }
};

/**
 * What a key may do on one server it may reach, built once per (policy, server) and asked per
 * message. `full` means nothing of the server is restricted: every method passes and no list needs
 * filtering.
 */
export class McpServerAccess {
  readonly full: boolean;

  constructor(
    private readonly tools: NameRule,
    private readonly resources: UriRule,
    private readonly prompts: NameRule,
  ) {
    this.full = tools.kind === 'all' && resources.kind === 'all' && prompts.kind === 'all';
  }

  tool(name: string): boolean {
    return permitsName(this.tools, name);
  }

  prompt(name: string): boolean {
    return permitsName(this.prompts, name);
  }

  resource(uri: string): boolean {
    const rule = this.resources;
    if (rule.kind === 'all') return true;
    if (rule.kind === 'none') return false;
    const u = uriForm(uri);
    if (u === null) return false;
    if (rule.kind === 'only')
      return rule.patterns.some((p) => matches(p, u, 'raw') && matches(p, u, 'decoded'));
    return !rule.patterns.some((p) => matches(p, u, 'raw') || matches(p, u, 'decoded'));
  }

  /**
   * The resources this access permits that `bound` does not, described ("resources" when it is not a
   * matter of patterns); empty when every resource it permits, `bound` permits too. Errs towards
   * reporting an excess where patterns only might overlap.
   */
  resourcesBeyond(bound: McpServerAccess): string[] {
    const mine = this.resources;
    const cap = bound.resources;
    if (cap.kind === 'all' || mine.kind === 'none') return [];
    if (mine.kind === 'only' && mine.patterns.length === 0) return [];
    if (cap.kind === 'none' || mine.kind === 'all') return ['resources'];
    if (mine.kind === 'only') {
      const excess =
        cap.kind === 'only'
          ? mine.patterns.filter((p) => !cap.patterns.some((b) => covers(b, p)))
          : mine.patterns.filter((p) => cap.patterns.some((d) => patternsOverlap(d, p)));
      return excess.map((p) => `the resources ${JSON.stringify(p.text)}`);
    }
    // A deny list permits all but a few: only an allow of every URI (`*`) bounds it.
    if (cap.kind === 'only')
      return cap.patterns.some((b) => b.prefix && b.raw === '') ? [] : ['resources not denied'];
    return cap.patterns
      .filter((d) => !mine.patterns.some((p) => covers(p, d)))
      .map((d) => `the resources ${JSON.stringify(d.text)}`);
  }

  /** A resource template (RFC 6570): permitted only if every URI it can produce is (see above). */
  resourceTemplate(uriTemplate: string): boolean {
    const rule = this.resources;
    if (rule.kind === 'all') return true;
    if (rule.kind === 'none') return false;
    const open = uriTemplate.indexOf('{');
    if (open < 0) return this.resource(uriTemplate);
    const literal = uriForm(uriTemplate.slice(0, open));
    if (literal === null) return false;
    if (rule.kind === 'only')
      return rule.patterns.some(
        (p) => p.prefix && literal.raw.startsWith(p.raw) && literal.decoded.startsWith(p.decoded),
      );
    return !rule.patterns.some((p) => overlaps(p, literal, 'raw') || overlaps(p, literal, 'decoded'));
  }
}

const FULL = new McpServerAccess(ALL, ALL, ALL);

/** The key's access to `server`, or null when the policy does not let it reach the server at all. */
export function mcpServerAccess(policy: McpPolicyRules, server: string): McpServerAccess | null {
  if (!mcpServerPermitted(policy, server)) return null;
  const tools = own(policy.tools, server);
  const resources = own(policy.resources, server);
  const prompts = own(policy.prompts, server);
  if (policy.mode === 'allow_list') {
    // Resources and prompts without their own entry follow the tools: all of them, or none.
    const fallback = tools === undefined ? ALL : NONE;
    return new McpServerAccess(
      tools === undefined ? ALL : nameRule('only', tools),
      resources === undefined ? fallback : uriRule('only', resources),
      prompts === undefined ? fallback : nameRule('only', prompts),
    );
  }
  if (policy.mode === 'deny_list' && policy.servers.includes(server)) {
    return new McpServerAccess(
      tools === undefined ? ALL : nameRule('except', tools),
      resources === undefined ? ALL : uriRule('except', resources),
      prompts === undefined ? ALL : nameRule('except', prompts),
    );
  }
  return FULL;
}

/** Whether `tool` of `server` may be listed and called (false whenever the server is not permitted). */
export function mcpToolPermitted(policy: McpPolicyRules, server: string, tool: string): boolean {
  return mcpServerAccess(policy, server)?.tool(tool) ?? false;
}

/** Whether the resource `uri` of `server` may be listed, read and subscribed to. */
export function mcpResourcePermitted(policy: McpPolicyRules, server: string, uri: string): boolean {
  return mcpServerAccess(policy, server)?.resource(uri) ?? false;
}

/** Whether the resource template `uriTemplate` of `server` may be listed and completed. */
export function mcpResourceTemplatePermitted(
  policy: McpPolicyRules,
  server: string,
  uriTemplate: string,
): boolean {
  return mcpServerAccess(policy, server)?.resourceTemplate(uriTemplate) ?? false;
}

/** Whether the prompt `name` of `server` may be listed, fetched and completed. */
export function mcpPromptPermitted(policy: McpPolicyRules, server: string, name: string): boolean {
  return mcpServerAccess(policy, server)?.prompt(name) ?? false;
}

/** True when the key reaches `server` but not all of it (methods are checked one by one, lists filtered). */
export function mcpServerRestricted(policy: McpPolicyRules, server: string): boolean {
  const access = mcpServerAccess(policy, server);
  return access !== null && !access.full;
}
