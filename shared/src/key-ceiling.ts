import {
  type AdminCeiling,
  type BudgetInput,
  LIMIT_FIELDS,
  type Limits,
  type McpPolicy,
  type Provider,
} from './api-keys';
import { cidrWithin } from './cidr';
import type { FieldIssue } from './errors';
import { type McpPolicyRules, mcpServerAccess } from './mcp';
import type { DefaultMcpPolicy } from './policy';

/**
 * What an admin set on a key is a ceiling for its member owner: the owner may tighten each restriction
 * (lower limits, a smaller budget, fewer models or providers, an earlier expiry, a narrower IP list,
 * fewer MCP servers and tools) but never loosen it past what the admin set. The ceiling holds only the
 * fields an admin wrote; a field no admin wrote is the owner's to set.
 */
export interface KeyRestrictions {
  limits: Limits;
  budget: Pick<BudgetInput, 'limitUsd' | 'period'> | null;
  allowedProviders: readonly Provider[];
  allowedModels: readonly string[];
  ipAllowlist: readonly string[];
  /** ISO-8601, or null for "never expires". */
  expiresAt: string | null;
  mcp: McpPolicy;
}

export const RESTRICTION_FIELDS = [
  'limits',
  'budget',
  'allowedProviders',
  'allowedModels',
  'ipAllowlist',
  'expiresAt',
  'mcp',
] as const satisfies readonly (keyof KeyRestrictions)[];
export type RestrictionField = (typeof RESTRICTION_FIELDS)[number];

export { type AdminCeiling, AdminCeilingSchema } from './api-keys';

/**
 * The ceiling after an admin's write: each restriction the write named takes the key's new value
 * (limits field by field). `written` holds the key's values after the write for the fields it named.
 */
export function raiseCeiling(
  previous: AdminCeiling | null,
  written: Partial<KeyRestrictions> & { limitFields?: readonly (keyof Limits)[] },
): AdminCeiling {
  const next: AdminCeiling = { ...(previous ?? {}) };
  if (written.limits) {
    const fields = written.limitFields ?? LIMIT_FIELDS;
    const limits = { ...(next.limits ?? {}) };
    for (const f of fields) limits[f] = written.limits[f];
    next.limits = limits;
  }
  if (written.budget !== undefined)
    next.budget = written.budget && { limitUsd: written.budget.limitUsd, period: written.budget.period };
  if (written.allowedProviders) next.allowedProviders = [...written.allowedProviders];
  if (written.allowedModels) next.allowedModels = [...written.allowedModels];
  if (written.ipAllowlist) next.ipAllowlist = [...written.ipAllowlist];
  if (written.expiresAt !== undefined) next.expiresAt = written.expiresAt;
  if (written.mcp) next.mcp = written.mcp;
  return next;
}

const byAdmin = '(set by an admin)';

/**
 * Every way `next` is looser than the ceiling, as field issues (`limits.requestsPerMinute`,
 * `budget.limitUsd`, `allowedModels.2`, `mcp.servers`, …). Empty when nothing is loosened.
 */
export function ceilingViolations(ceiling: AdminCeiling | null, next: KeyRestrictions): FieldIssue[] {
  if (!ceiling) return [];
  const issues: FieldIssue[] = [];
  for (const field of LIMIT_FIELDS) {
    const cap = ceiling.limits?.[field];
    if (cap === undefined || cap === null) continue;
    const value = next.limits[field];
    if (value === null)
      issues.push({ field: `limits.${field}`, message: `must be set, at most ${cap} ${byAdmin}` });
    else if (value > cap)
      issues.push({ field: `limits.${field}`, message: `must be at most ${cap} ${byAdmin}` });
  }
  if (ceiling.budget) {
    const cap = ceiling.budget;
    if (!next.budget)
      issues.push({
        field: 'budget',
        message: `must stay set, at most $${cap.limitUsd} ${cap.period} ${byAdmin}`,
      });
    else {
      if (next.budget.period !== cap.period)
        issues.push({ field: 'budget.period', message: `must stay ${cap.period} ${byAdmin}` });
      if (next.budget.limitUsd > cap.limitUsd)
        issues.push({ field: 'budget.limitUsd', message: `must be at most ${cap.limitUsd} ${byAdmin}` });
    }
  }
  issues.push(...listViolations('allowedProviders', ceiling.allowedProviders, next.allowedProviders));
  issues.push(...listViolations('allowedModels', ceiling.allowedModels, next.allowedModels));
  if (ceiling.ipAllowlist && ceiling.ipAllowlist.length > 0) {
    const outer = ceiling.ipAllowlist;
    if (next.ipAllowlist.length === 0)
      issues.push({ field: 'ipAllowlist', message: `must stay within ${outer.join(', ')} ${byAdmin}` });
    next.ipAllowlist.forEach((entry, i) => {
      if (!outer.some((o) => cidrWithin(entry, o)))
        issues.push({ field: `ipAllowlist.${i}`, message: `must be within ${outer.join(', ')} ${byAdmin}` });
    });
  }
  if (ceiling.expiresAt) {
    const cap = Date.parse(ceiling.expiresAt);
    if (next.expiresAt === null)
      issues.push({
        field: 'expiresAt',
        message: `must expire no later than ${ceiling.expiresAt} ${byAdmin}`,
      });
    else if (Date.parse(next.expiresAt) > cap)
      issues.push({ field: 'expiresAt', message: `must be no later than ${ceiling.expiresAt} ${byAdmin}` });
  }
  if (ceiling.mcp) issues.push(...mcpExcess(next.mcp, ceiling.mcp, byAdmin));
  return issues;
}

/** A non-empty ceiling list (empty = no restriction) is kept non-empty and narrowed only. */
function listViolations(
  field: string,
  cap: readonly string[] | undefined,
  next: readonly string[],
): FieldIssue[] {
  if (!cap || cap.length === 0) return [];
  if (next.length === 0) return [{ field, message: `must stay limited to ${cap.join(', ')} ${byAdmin}` }];
  const issues: FieldIssue[] = [];
  next.forEach((v, i) => {
    if (!cap.includes(v))
      issues.push({ field: `${field}.${i}`, message: `${v} is not one of ${cap.join(', ')} ${byAdmin}` });
  });
  return issues;
}

/** Stands for every server or tool a policy does not name: names never contain NUL. */
const OTHER = '\u0000';

/**
 * What `policy` permits beyond `bound` (servers first, then tools, prompts and resources per server), as
 * issues under `mcp`. Policies only tell apart the names they mention, so checking those names plus one
 * name neither mentions decides the question for every name; resource patterns are compared as patterns
 * (`McpServerAccess.resourcesBeyond`).
 */
export function mcpExcess(policy: McpPolicyRules, bound: McpPolicyRules, why: string): FieldIssue[] {
  const named = (p: McpPolicyRules) => [
    ...p.servers,
    ...Object.keys(p.tools),
    ...Object.keys(p.resources ?? {}),
    ...Object.keys(p.prompts ?? {}),
  ];
  const servers = new Set([...named(policy), ...named(bound), OTHER]);
  const issues: FieldIssue[] = [];
  for (const server of servers) {
    const mine = mcpServerAccess(policy, server);
    if (mine === null) continue;
    const shown = server === OTHER ? 'servers not named' : `the server ${server}`;
    const cap = mcpServerAccess(bound, server);
    if (cap === null) {
      issues.push({ field: 'mcp.servers', message: `must not permit ${shown} ${why}` });
      continue;
    }
    const field = (list: string) => `mcp.${list}.${server === OTHER ? '*' : server}`;
    for (const list of ['tools', 'prompts'] as const) {
      const listed = (p: McpPolicyRules) =>
        Object.hasOwn(p[list] ?? {}, server) ? (p[list]?.[server] ?? []) : [];
      const names = new Set([...listed(policy), ...listed(bound), OTHER]);
      const kind = list === 'tools' ? 'tool' : 'prompt';
      for (const name of names) {
        if (mine[kind](name) && !cap[kind](name)) {
          const what = name === OTHER ? `${list} not named` : `the ${kind} ${name}`;
          issues.push({ field: field(list), message: `must not permit ${what} of ${shown} ${why}` });
        }
      }
    }
    for (const what of mine.resourcesBeyond(cap))
      issues.push({ field: field('resources'), message: `must not permit ${what} of ${shown} ${why}` });
  }
  return issues;
}

/** The cap as a key policy: `none` permits nothing, `listed` the listed servers wholly, `all` everything. */
export function mcpCapPolicy(cap: DefaultMcpPolicy): McpPolicy {
  const lists = { tools: {}, resources: {}, prompts: {} };
  if (cap.mode === 'none') return { enabled: false, mode: 'deny_all', servers: [], ...lists };
  if (cap.mode === 'listed')
    return { enabled: true, mode: 'allow_list', servers: [...cap.servers], ...lists };
  return { enabled: true, mode: 'allow_all', servers: [], ...lists };
}
