import { z } from 'zod';
import { Timestamp } from './api/fields';
import {
  AlertThresholdsSchema,
  ApiKeySchema,
  BudgetSchema,
  LIMIT_FIELDS,
  type Limits,
  LimitsSchema,
  LimitValuesSchema,
  ModelSlugSchema,
  noControlChars,
} from './api-keys';

/**
 * People's policy: groups, model access grants, per-user and per-group limits and budgets, and the one
 * function that folds a key, its owner and the owner's groups into the policy a gateway enforces
 * (`effectivePolicy`). The control plane uses it for the detail views, the gateways for enforcement,
 * so both always agree on which rule wins.
 */

export type LimitField = (typeof LIMIT_FIELDS)[number];

/** User and group budgets are calendar caps; `lifetime` stays a key-only period. */
export const POLICY_BUDGET_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type PolicyBudgetPeriod = (typeof POLICY_BUDGET_PERIODS)[number];

export const PolicyBudgetSchema = z.strictObject({
  limitUsd: BudgetSchema.shape.limitUsd,
  period: z.enum(POLICY_BUDGET_PERIODS),
  alertThresholds: AlertThresholdsSchema.default([]),
});
export type PolicyBudget = z.output<typeof PolicyBudgetSchema>;

/**
 * `PUT /orgs/:org/{users|groups}/:id/limits`: the whole policy of the subject, replaced. A limit left
 * out or null means "no limit"; `budgets` left out means none. At most one budget per period.
 */
export const PutLimitsSchema = LimitsSchema.extend({
  budgets: z
    .array(PolicyBudgetSchema)
    .max(POLICY_BUDGET_PERIODS.length, `at most ${POLICY_BUDGET_PERIODS.length} budgets`)
    .superRefine((budgets, ctx) => {
      const seen = new Set<string>();
      budgets.forEach((b, i) => {
        if (seen.has(b.period))
          ctx.addIssue({ code: 'custom', path: [i, 'period'], message: 'one budget per period' });
        seen.add(b.period);
      });
    })
    .optional(),
});
export type PutLimitsInput = z.output<typeof PutLimitsSchema>;

/** What `GET …/limits` returns and `PUT` stores. */
export interface PolicyLimits extends Limits {
  budgets: PolicyBudget[];
}

export const GROUP_NAME_MAX = 100;
export const GroupNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(GROUP_NAME_MAX, `must be at most ${GROUP_NAME_MAX} characters`)
  .refine(noControlChars, 'must not contain control characters');
export const CreateGroupSchema = z.strictObject({ name: GroupNameSchema });
export const UpdateGroupSchema = z.strictObject({ name: GroupNameSchema });
export type CreateGroupInput = z.output<typeof CreateGroupSchema>;

export const CreateGrantSchema = z.strictObject({ model: ModelSlugSchema });

export const MODEL_ACCESS_WITHOUT_GRANTS = ['none', 'all'] as const;
export type ModelAccessWithoutGrants = (typeof MODEL_ACCESS_WITHOUT_GRANTS)[number];
/**
 * The organization's default MCP policy: the most members may give their own keys (`none`: no MCP,
 * `listed`: the listed servers, `all`: anything). What an admin sets on a key is not capped by it.
 */
export const MEMBER_MCP_ACCESS = ['none', 'listed', 'all'] as const;
export const DefaultMcpPolicySchema = z
  .strictObject({
    mode: z.enum(MEMBER_MCP_ACCESS),
    servers: z
      .array(
        z
          .string()
          .min(1, 'must not be empty')
          .max(128, 'must be at most 128 characters')
          .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be a name of letters, digits, . _ : -'),
      )
      .max(100, 'at most 100 entries')
      .transform((a) => [...new Set(a)])
      .default([]),
  })
  .superRefine((v, ctx) => {
    if (v.mode !== 'listed' && v.servers.length > 0)
      ctx.addIssue({ code: 'custom', path: ['servers'], message: 'only mode listed names servers' });
  });
export type DefaultMcpPolicy = z.output<typeof DefaultMcpPolicySchema>;
export const DEFAULT_MEMBER_MCP: DefaultMcpPolicy = { mode: 'all', servers: [] };

export const OrgSettingsSchema = z.object({
  modelAccessWithoutGrants: z.enum(MODEL_ACCESS_WITHOUT_GRANTS),
  // Absent: members are not capped.
  defaultMcpPolicy: DefaultMcpPolicySchema.default(DEFAULT_MEMBER_MCP),
});
export type OrgSettings = z.output<typeof OrgSettingsSchema>;
export const DEFAULT_ORG_SETTINGS: OrgSettings = {
  modelAccessWithoutGrants: 'none',
  defaultMcpPolicy: DEFAULT_MEMBER_MCP,
};
export const UpdateOrgSettingsSchema = z
  .strictObject({
    modelAccessWithoutGrants: z.enum(MODEL_ACCESS_WITHOUT_GRANTS).optional(),
    defaultMcpPolicy: DefaultMcpPolicySchema.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'the body must change at least one field');

/* ---------------------------------------------------------------- effective policy */

export const ORG_ROLES = ['admin', 'member'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

/** The rule a value comes from. */
export const RuleRefSchema = z.object({
  type: z.enum(['key', 'user', 'group']),
  id: z.string(),
  name: z.string(),
});
export type RuleRef = z.infer<typeof RuleRefSchema>;

export interface PolicyKeyInput {
  id: string;
  name: string;
  limits: Limits;
  /** The key's own budget (any period, `lifetime` included). */
  budget: { limitUsd: number; period: string; alertThresholds: number[] } | null;
  /** Empty = no narrowing. */
  allowedModels: readonly string[];
}

export interface PolicySubjectInput {
  id: string;
  name: string;
  grants: readonly string[];
  limits: Limits;
  budgets: readonly PolicyBudget[];
}

export interface PolicyOwnerInput extends PolicySubjectInput {
  role: OrgRole;
}

export const EffectiveLimitSchema = z.object({
  value: z.number().nullable(),
  /** The rule that set `value`; null when nothing limits the field. */
  source: RuleRefSchema.nullable(),
});
export type EffectiveLimit = z.infer<typeof EffectiveLimitSchema>;

export const MODEL_ACCESS_BASES = [
  /** The owner is an admin: every model. */
  'admin',
  /** The owner or one of their groups holds grants: those models. */
  'grants',
  /** No grants anywhere and the organization says that means every model. */
  'no_grants_all',
  /** No grants anywhere and the organization says that means no model. */
  'no_grants_none',
  /** The snapshot carries no people policy: the key alone decides. */
  'unknown_owner',
] as const;
export type ModelAccessBasis = (typeof MODEL_ACCESS_BASES)[number];

export const EffectiveModelsSchema = z.object({
  /** True when every model of the organization may be used. */
  all: z.boolean(),
  /** When `all` is false: the models that may be used, sorted. */
  allowed: z.array(z.string()),
  basis: z.enum(MODEL_ACCESS_BASES),
  /** True when the key's `allowedModels` narrowed the set. */
  narrowedByKey: z.boolean(),
});
export type EffectiveModels = z.infer<typeof EffectiveModelsSchema>;

export const EffectiveBudgetSchema = z.object({
  scope: RuleRefSchema,
  limitUsd: z.number(),
  period: z.string(),
  alertThresholds: z.array(z.number()),
  /** Settled spend of the current period, where the view counts it. */
  spentUsd: z.number().optional(),
});
export type EffectiveBudget = z.infer<typeof EffectiveBudgetSchema>;

export const EffectivePolicySchema = z.object({
  limits: z.object({
    requestsPerMinute: EffectiveLimitSchema,
    tokensPerMinute: EffectiveLimitSchema,
    inputTokensPerMinute: EffectiveLimitSchema,
    outputTokensPerMinute: EffectiveLimitSchema,
    concurrentRequests: EffectiveLimitSchema,
  } satisfies Record<LimitField, typeof EffectiveLimitSchema>),
  models: EffectiveModelsSchema,
  /** Every cap that applies, each its own counter: the key's, the owner's and each group's. */
  budgets: z.array(EffectiveBudgetSchema),
});
export type EffectivePolicy = z.infer<typeof EffectivePolicySchema>;

/** The view types the control plane returns (the same shapes, named for the REST contract). */
export type EffectivePolicyView = EffectivePolicy;
export type LimitsView = Limits;

/**
 * `GET …/keys/:id`: the key plus `effective`, the policy gateways hold it to (per limit the strictest of
 * the key, its owner and the owner's groups with the rule that set it; the models it may use; every
 * budget cap that applies).
 */
export const KeyDetailSchema = ApiKeySchema.extend({ effective: EffectivePolicySchema });
export type KeyDetail = z.infer<typeof KeyDetailSchema>;

/** A user's or group's budget as returned, with the settled spend of its current period where counted. */
export const BudgetViewSchema = z.object({
  limitUsd: z.number(),
  period: z.enum(POLICY_BUDGET_PERIODS),
  alertThresholds: z.array(z.number()),
  spentUsd: z.number().optional(),
});
export type BudgetView = z.infer<typeof BudgetViewSchema>;

/** `GET …/limits`: the stored policy, each budget with the current period's settled spend. */
export const PolicyLimitsViewSchema = LimitValuesSchema.extend({ budgets: z.array(BudgetViewSchema) });
export type PolicyLimitsView = z.infer<typeof PolicyLimitsViewSchema>;

/** A user's own policy as `GET …/users/:id` shows it: their rules, their groups, what applies. */
export const UserPolicyViewSchema = z.object({
  grants: z.array(z.string()),
  limits: LimitValuesSchema,
  budgets: z.array(BudgetViewSchema),
  groups: z.array(z.object({ id: z.string(), name: z.string() })),
  effective: EffectivePolicySchema,
});
export type UserPolicyView = z.infer<typeof UserPolicyViewSchema>;

/** One model access grant of a user or group. */
export const GrantViewSchema = z.object({ model: z.string(), createdAt: Timestamp });
export type GrantView = z.infer<typeof GrantViewSchema>;

export const NO_LIMITS: Limits = {
  requestsPerMinute: null,
  tokensPerMinute: null,
  inputTokensPerMinute: null,
  outputTokensPerMinute: null,
  concurrentRequests: null,
};

/**
 * The policy a key is held to: per limit field the strictest (smallest non-null) value across the
 * key, its owner and every group the owner is in, with the rule that set it (ties go to the first in
 * that order); the models it may use; and every budget cap that applies.
 *
 * `key` null gives a user's own effective policy (the user detail view). `owner` null means the
 * caller knows nothing of the owner (a snapshot without people policy): only the key's own rules
 * apply.
 */
export function effectivePolicy(
  key: PolicyKeyInput | null,
  owner: PolicyOwnerInput | null,
  groups: readonly PolicySubjectInput[],
  orgSettings: Pick<OrgSettings, 'modelAccessWithoutGrants'>,
): EffectivePolicy {
  const rules: { ref: RuleRef; limits: Limits }[] = [];
  if (key) rules.push({ ref: { type: 'key', id: key.id, name: key.name }, limits: key.limits });
  if (owner) {
    rules.push({ ref: { type: 'user', id: owner.id, name: owner.name }, limits: owner.limits });
    for (const g of groups) rules.push({ ref: { type: 'group', id: g.id, name: g.name }, limits: g.limits });
  }

  const limits = {} as Record<LimitField, EffectiveLimit>;
  for (const field of LIMIT_FIELDS) {
    let best: EffectiveLimit = { value: null, source: null };
    for (const r of rules) {
      const v = r.limits[field];
      if (v !== null && v !== undefined && (best.value === null || v < best.value))
        best = { value: v, source: r.ref };
    }
    limits[field] = best;
  }

  let models: EffectiveModels;
  if (!owner) models = { all: true, allowed: [], basis: 'unknown_owner', narrowedByKey: false };
  else if (owner.role === 'admin') models = { all: true, allowed: [], basis: 'admin', narrowedByKey: false };
  else {
    const granted = new Set<string>(owner.grants);
    for (const g of groups) for (const m of g.grants) granted.add(m);
    if (granted.size > 0)
      models = { all: false, allowed: [...granted].sort(), basis: 'grants', narrowedByKey: false };
    else if (orgSettings.modelAccessWithoutGrants === 'all')
      models = { all: true, allowed: [], basis: 'no_grants_all', narrowedByKey: false };
    else models = { all: false, allowed: [], basis: 'no_grants_none', narrowedByKey: false };
  }
  if (key && key.allowedModels.length > 0) {
    const narrowing = new Set(key.allowedModels);
    const allowed = models.all ? [...narrowing].sort() : models.allowed.filter((m) => narrowing.has(m));
    models = { all: false, allowed, basis: models.basis, narrowedByKey: true };
  }

  const budgets: EffectiveBudget[] = [];
  if (key?.budget)
    budgets.push({ scope: { type: 'key', id: key.id, name: key.name }, ...copyBudget(key.budget) });
  if (owner) {
    for (const b of owner.budgets)
      budgets.push({ scope: { type: 'user', id: owner.id, name: owner.name }, ...copyBudget(b) });
    for (const g of groups)
      for (const b of g.budgets)
        budgets.push({ scope: { type: 'group', id: g.id, name: g.name }, ...copyBudget(b) });
  }
  return { limits, models, budgets };
}

const copyBudget = (b: { limitUsd: number; period: string; alertThresholds: readonly number[] }) => ({
  limitUsd: b.limitUsd,
  period: b.period,
  alertThresholds: [...b.alertThresholds],
});

/** True when `policy` lets the key use the model `slug`. */
export function modelAllowed(models: EffectiveModels, slug: string): boolean {
  return models.all || models.allowed.includes(slug);
}

/** One row of `GET /orgs/:org/groups`. */
export const GroupViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  memberCount: z.number(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type GroupView = z.infer<typeof GroupViewSchema>;

/** One member of a group, as `GET /orgs/:org/groups/:id` lists them. */
export const GroupMemberViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  role: z.enum(ORG_ROLES),
  addedAt: Timestamp,
});
export type GroupMemberView = z.infer<typeof GroupMemberViewSchema>;

/** `GET /orgs/:org/groups/:id`: members, grants, and limits with each budget's current spend. */
export const GroupDetailViewSchema = GroupViewSchema.extend({
  members: z.array(GroupMemberViewSchema),
  grants: z.array(z.string()),
  /** Each budget with `spentUsd`: its current period's settled spend over the members' keys. */
  limits: PolicyLimitsViewSchema,
});
export type GroupDetailView = z.infer<typeof GroupDetailViewSchema>;
