import { z } from 'zod';
import { Timestamp } from './api/fields';
import { parseCidr } from './cidr';
import { EXPIRY_PRESETS } from './expiry';

export const PROVIDERS = ['openai', 'azure_openai', 'anthropic', 'gemini', 'openai_compatible'] as const;
export const ProviderSchema = z.enum(PROVIDERS);
export type Provider = z.infer<typeof ProviderSchema>;

export const KEY_STATUSES = ['active', 'inactive', 'expired', 'revoked'] as const;
export const KeyStatusSchema = z.enum(KEY_STATUSES);
export type KeyStatus = z.infer<typeof KeyStatusSchema>;

export const BUDGET_PERIODS = ['daily', 'weekly', 'monthly', 'lifetime'] as const;
export const MCP_MODES = ['allow_all', 'deny_all', 'allow_list', 'deny_list'] as const;

export const KEY_NAME_MAX = 100;
export const METADATA_MAX_BYTES = 4096;

/** True when a string holds no C0 control character or DEL (names are shown in tables and logs). */
export function noControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

export const KeyNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(KEY_NAME_MAX, `must be at most ${KEY_NAME_MAX} characters`)
  .refine(noControlChars, 'must not contain control characters');

/** A positive whole-number limit, or null for "no limit". */
const limitValue = z
  .number()
  .int('must be a whole number')
  .positive('must be greater than 0')
  .max(1_000_000_000, 'must be at most 1000000000')
  .nullable();

/** Every limit of a key, user or group, as stored and returned: null means no limit. */
export const LimitValuesSchema = z.object({
  requestsPerMinute: limitValue,
  tokensPerMinute: limitValue,
  inputTokensPerMinute: limitValue,
  outputTokensPerMinute: limitValue,
  concurrentRequests: limitValue,
});
export type Limits = z.infer<typeof LimitValuesSchema>;
/** As sent: a limit left out means no limit. */
export const LimitsSchema = LimitValuesSchema.partial().strict();
export type LimitsInput = z.infer<typeof LimitsSchema>;
export const LIMIT_FIELDS = [
  'requestsPerMinute',
  'tokensPerMinute',
  'inputTokensPerMinute',
  'outputTokensPerMinute',
  'concurrentRequests',
] as const satisfies readonly (keyof Limits)[];

export const AlertThresholdsSchema = z
  .array(
    z.number().int('must be a whole percentage').min(1, 'must be at least 1').max(100, 'must be at most 100'),
  )
  .max(10, 'at most 10 thresholds')
  .refine((a) => new Set(a).size === a.length, 'thresholds must be unique')
  .transform((a) => [...a].sort((x, y) => x - y));

export const BudgetSchema = z.strictObject({
  limitUsd: z
    .number()
    .positive('must be greater than 0')
    .max(1_000_000_000, 'must be at most 1000000000')
    .refine(Number.isFinite, 'must be a finite number'),
  period: z.enum(BUDGET_PERIODS),
  alertThresholds: AlertThresholdsSchema.default([]),
});
export type BudgetInput = z.infer<typeof BudgetSchema>;

export const ModelSlugSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/, 'must be a model slug (letters, digits, . _ : / @ -)');

const uniqueList = <T extends z.ZodType>(item: T, max: number) =>
  z
    .array(item)
    .max(max, `at most ${max} entries`)
    .transform((a) => [...new Set(a)] as z.output<T>[]);

export const IpAllowlistSchema = z
  .array(z.string().max(64, 'must be at most 64 characters'))
  .max(100, 'at most 100 entries')
  .transform((entries, ctx) => {
    const out: string[] = [];
    entries.forEach((entry, i) => {
      const r = parseCidr(entry);
      if (!r.ok) ctx.addIssue({ code: 'custom', message: r.error, path: [i] });
      else if (!out.includes(r.normalized)) out.push(r.normalized);
    });
    return out;
  });

export const MetadataSchema = z
  .record(z.string().min(1).max(64, 'keys must be at most 64 characters'), z.json())
  .refine(
    (m) => new TextEncoder().encode(JSON.stringify(m)).length <= METADATA_MAX_BYTES,
    `must be at most ${METADATA_MAX_BYTES} bytes as JSON`,
  )
  .refine((m) => !JSON.stringify(m).includes('\\u0000'), 'must not contain NUL characters');

const McpNameSchema = z
  .string()
  .min(1)
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be a name of letters, digits, . _ : -');

/**
 * Prompt names: MCP does not constrain them as it does tool names, so any single-line name (one a key
 * cannot name is only ever refused, never let through: see `mcpServerAccess` in mcp.ts).
 */
const McpPromptNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .refine(noControlChars, 'must not contain control characters')
  .refine((s) => s.trim() === s, 'must not start or end with spaces');

export const MCP_URI_PATTERN_MAX = 2048;
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const URI_PATTERN = /^(?:[A-Za-z][A-Za-z0-9+.-]*:[^\s*\\{}]*\*?|\*)$/;

/**
 * A `.` or `..` path segment (`/./`, `/..`, at the end, before `?`/`#`), which a server may resolve to
 * another resource than the text names: such URIs are refused wherever resources are restricted, and a
 * pattern may not hold one.
 */
export function uriHasDotSegment(uri: string): boolean {
  return /(?:^|[/:])\.\.?(?:[/?#]|$)/.test(uri);
}

/**
 * Percent-decodes a URI (or pattern) for comparison, or null when an escape is malformed. The scheme is
 * lowercased (schemes ignore case); nothing else is normalized.
 */
export function decodeUriForMatch(uri: string): string | null {
  let decoded: string;
  try {
    decoded = uri.includes('%') ? decodeURIComponent(uri) : uri;
  } catch {
    return null;
  }
  return lowerUriScheme(decoded);
}

export function lowerUriScheme(uri: string): string {
  const scheme = URI_SCHEME.exec(uri);
  return scheme && /[A-Z]/.test(scheme[0]) ? scheme[0].toLowerCase() + uri.slice(scheme[0].length) : uri;
}

/** Why `s` is not a resource URI pattern (see `McpUriPatternSchema`), or null when it is one. */
export function uriPatternProblem(s: string): string | null {
  if (s.length === 0) return 'must not be empty';
  if (s.length > MCP_URI_PATTERN_MAX) return `must be at most ${MCP_URI_PATTERN_MAX} characters`;
  if (!noControlChars(s)) return 'must not contain control characters';
  if (!URI_PATTERN.test(s))
    return 'must be a URI (scheme:…) or a URI prefix ending in *, without spaces, \\, { or } (and * only at the end)';
  const decoded = decodeUriForMatch(s);
  if (decoded === null) return 'has a malformed %-escape';
  if (uriHasDotSegment(s) || uriHasDotSegment(decoded)) return 'must not contain . or .. path segments';
  return null;
}

/**
 * A resource URI pattern of a key's MCP policy: an exact URI (`file:///docs/readme.md`) or a prefix
 * ending in `*` (`file:///docs/*`; `*` alone is every URI). Semantics in mcp.ts (`mcpServerAccess`).
 */
export const McpUriPatternSchema = z
  .string()
  .superRefine((s, ctx) => {
    const problem = uriPatternProblem(s);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({
    description: `A resource URI (scheme:…) or a URI prefix ending in * (* alone: every URI), at most ${MCP_URI_PATTERN_MAX} characters, without spaces, \\, { }, or . / .. path segments`,
  });

const MCP_LIST_MAX = 500;
/** Per-server lists (`tools`, `resources`, `prompts`) name only servers listed in `servers`. */
const perServer = <T extends z.ZodType>(item: T) => z.record(McpNameSchema, uniqueList(item, MCP_LIST_MAX));

export const McpPolicySchema = z
  .strictObject({
    enabled: z.boolean(),
    mode: z.enum(MCP_MODES),
    servers: uniqueList(McpNameSchema, 100).default([]),
    tools: perServer(McpNameSchema).default({}),
    resources: perServer(McpUriPatternSchema).default({}),
    prompts: perServer(McpPromptNameSchema).default({}),
  })
  .superRefine((p, ctx) => {
    for (const list of ['tools', 'resources', 'prompts'] as const) {
      for (const server of Object.keys(p[list])) {
        if (!p.servers.includes(server)) {
          ctx.addIssue({
            code: 'custom',
            path: [list, server],
            message: `${list} name a server not listed in servers`,
          });
        }
      }
    }
  });
export type McpPolicy = z.infer<typeof McpPolicySchema>;
export const DEFAULT_MCP_POLICY: McpPolicy = {
  enabled: false,
  mode: 'allow_all',
  servers: [],
  tools: {},
  resources: {},
  prompts: {},
};

/** A policy as stored: those written before `resources` and `prompts` existed lack them (absent = `{}`). */
export type StoredMcpPolicy = Omit<McpPolicy, 'resources' | 'prompts'> &
  Partial<Pick<McpPolicy, 'resources' | 'prompts'>>;

/** A stored policy with every list, for views. */
export const normalizeMcpPolicy = (p: StoredMcpPolicy): McpPolicy => ({
  enabled: p.enabled,
  mode: p.mode,
  servers: p.servers,
  tools: p.tools,
  resources: p.resources ?? {},
  prompts: p.prompts ?? {},
});

const CustomExpirySchema = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time' })
  .refine((s) => Date.parse(s) > Date.now(), 'must be in the future');

const keyFields = {
  name: KeyNameSchema,
  expiresIn: z.enum(EXPIRY_PRESETS).optional(),
  expiresAt: CustomExpirySchema.nullable().optional(),
  ownerId: z.uuid('must be a user id').optional(),
  limits: LimitsSchema.optional(),
  budget: BudgetSchema.nullable().optional(),
  allowedProviders: uniqueList(ProviderSchema, PROVIDERS.length).optional(),
  allowedModels: uniqueList(ModelSlugSchema, 200).optional(),
  ipAllowlist: IpAllowlistSchema.optional(),
  metadata: MetadataSchema.optional(),
  mcp: McpPolicySchema.optional(),
  /**
   * Pass-through calls that name no model (files, batches, fine-tuning jobs, stored responses,
   * deletes) are refused unless this is on. Off by default; only admins may turn it on.
   */
  allowCallsWithoutModel: z
    .boolean({ message: 'must be true or false' })
    .describe(
      'Pass-through calls that name no model (files, batches, fine-tuning, stored responses, deletes) are allowed. Default false; only admins may turn it on.',
    )
    .optional(),
};

const oneExpiry = (v: { expiresIn?: unknown; expiresAt?: unknown }, ctx: z.RefinementCtx) => {
  if (v.expiresIn !== undefined && v.expiresAt !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['expiresAt'],
      message: 'give either expiresIn or expiresAt, not both',
    });
  }
};

export const CreateKeySchema = z.strictObject(keyFields).superRefine(oneExpiry);
export type CreateKeyInput = z.infer<typeof CreateKeySchema>;

export const UpdateKeySchema = z
  .strictObject({ ...keyFields, name: KeyNameSchema.optional() })
  .superRefine(oneExpiry)
  .refine((v) => Object.keys(v).length > 0, 'the body must change at least one field');
export type UpdateKeyInput = z.infer<typeof UpdateKeySchema>;

/**
 * Ephemeral tokens: short-lived bearer credentials delegated from a key (a browser, a mobile client, a
 * job). A token acts as its parent key at every gateway and never outlives it.
 */
export const EPHEMERAL_TOKEN_DEFAULT_SECONDS = 900;
export const EPHEMERAL_TOKEN_MAX_SECONDS = 86_400;

export const CreateEphemeralTokenSchema = z.strictObject({
  expiresInSeconds: z
    .number({ message: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1')
    .max(EPHEMERAL_TOKEN_MAX_SECONDS, `must be at most ${EPHEMERAL_TOKEN_MAX_SECONDS}`)
    .default(EPHEMERAL_TOKEN_DEFAULT_SECONDS),
});
export type CreateEphemeralTokenInput = z.infer<typeof CreateEphemeralTokenSchema>;

/** The one response that shows an ephemeral token; nothing returns it again. */
export const EphemeralTokenSchema = z.object({
  id: z.string(),
  /** The parent key's id. */
  keyId: z.string(),
  /** The public prefix (`ptcl_<token id>`), as a key's. */
  prefix: z.string(),
  token: z.string(),
  expiresAt: Timestamp,
});
export type EphemeralToken = z.infer<typeof EphemeralTokenSchema>;

export const KEY_SORTS = ['name', 'owner', 'status', 'requests', 'created'] as const;
export const ListKeysQuerySchema = z.strictObject({
  search: z.string().max(200, 'must be at most 200 characters').optional(),
  status: KeyStatusSchema.optional(),
  ownerId: z.uuid('must be a user id').optional(),
  sort: z.enum(KEY_SORTS).default('created'),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(200, 'must be at most 200')
    .default(50),
  cursor: z.string().max(512, 'is not a valid cursor').optional(),
});
export type ListKeysQuery = z.infer<typeof ListKeysQuerySchema>;

/** As stored with the key and returned as `adminRestrictions`: only what some admin wrote. */
export const AdminCeilingSchema = z.object({
  limits: z.partialRecord(z.enum(LIMIT_FIELDS), z.number().nullable()).optional(),
  budget: z
    .object({ limitUsd: z.number(), period: z.enum(BUDGET_PERIODS) })
    .nullable()
    .optional(),
  allowedProviders: z.array(ProviderSchema).optional(),
  allowedModels: z.array(z.string()).optional(),
  ipAllowlist: z.array(z.string()).optional(),
  expiresAt: z.string().nullable().optional(),
  mcp: McpPolicySchema.optional(),
});
export type AdminCeiling = z.infer<typeof AdminCeilingSchema>;

const namesByServer = z.record(z.string(), z.array(z.string()));
/** A key's MCP policy as returned (every list present). */
export const McpPolicyViewSchema = z.object({
  enabled: z.boolean(),
  mode: z.enum(MCP_MODES),
  servers: z.array(z.string()),
  tools: namesByServer,
  resources: namesByServer,
  prompts: namesByServer,
});

/** An API key as returned by the control plane. The secret is never part of it. */
export const ApiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  ownerId: z.string(),
  owner: z.object({ id: z.string(), email: z.string(), name: z.string() }).nullable(),
  prefix: z.string(),
  status: KeyStatusSchema,
  expiresAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
  lastRotatedAt: Timestamp.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  requestCount: z.number(),
  usageShare: z.number(),
  limits: LimitValuesSchema,
  budget: z
    .object({
      limitUsd: z.number(),
      period: z.enum(BUDGET_PERIODS),
      alertThresholds: z.array(z.number()),
      spentUsd: z.number(),
    })
    .nullable(),
  allowedProviders: z.array(ProviderSchema),
  allowedModels: z.array(z.string()),
  ipAllowlist: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  mcp: McpPolicyViewSchema,
  /**
   * The restrictions an admin set on this key (only the fields some admin wrote), or null: a member
   * owner may tighten them but not loosen them (see key-ceiling.ts).
   */
  adminRestrictions: AdminCeilingSchema.nullable(),
  /** Deactivated by an admin: only an admin may activate it again. */
  deactivatedByAdmin: z.boolean(),
  allowCallsWithoutModel: z.boolean(),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

/** A created or rotated key with its secret: the only answers that show it. */
export const KeyWithSecretSchema = z.object({ key: ApiKeySchema, secret: z.string() });
export type KeyWithSecret = z.infer<typeof KeyWithSecretSchema>;
