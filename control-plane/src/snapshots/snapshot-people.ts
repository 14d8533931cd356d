import { LIMIT_FIELDS, type Limits } from '@portcullis/shared/api-keys';
import {
  DEFAULT_ORG_SETTINGS,
  type DefaultMcpPolicy,
  type OrgRole,
  type OrgSettings,
  type PolicyBudget,
} from '@portcullis/shared/policy';
import type {
  SnapshotChange,
  SnapshotGroup,
  SnapshotPeople,
  SnapshotUserPolicy,
} from '@portcullis/shared/snapshot';
import { MICRO_USD, periodEnd, periodId, periodStart } from '@portcullis/shared/usage';
import type { EntityManager } from 'typeorm';
import { idsIn, query, sql } from '../database/sql';
import { type SpendScopeType, scopeSpendMicro } from '../usage/spend.service';

/**
 * People's policy → snapshot (full and deltas): members with role, grants, limits, budgets and group
 * ids; groups with grants, limits and budgets; the organization's settings. Built here only, so the
 * full snapshot and a delta give a gateway the same shape.
 */

export const limitsOf = (raw: { [F in keyof Limits]?: number | null } | null): Limits =>
  Object.fromEntries(LIMIT_FIELDS.map((f) => [f, raw?.[f] ?? null])) as unknown as Limits;

const budgetsOf = (raw: PolicyBudget[] | null): PolicyBudget[] =>
  (raw ?? []).map((b) => ({ limitUsd: b.limitUsd, period: b.period, alertThresholds: b.alertThresholds }));

interface UserRow {
  id: string;
  name: string;
  email: string;
  role: OrgRole;
  limits: Record<string, number | null> | null;
  budgets: PolicyBudget[] | null;
  grants: string[];
  group_ids: string[];
}

interface GroupRow {
  id: string;
  name: string;
  limits: Record<string, number | null>;
  budgets: PolicyBudget[];
  grants: string[];
}

async function userRows(em: EntityManager, orgId: string, userIds: string[] | null): Promise<UserRow[]> {
  return query(
    em,
    sql`SELECT u.id, u.name, u.email, m.role, p.limits, p.budgets,
        coalesce((SELECT array_agg(g.model ORDER BY g.model) FROM user_model_grants g
                   WHERE g.org_id = m.org_id AND g.user_id = m.user_id), '{}') AS grants,
        coalesce((SELECT array_agg(gm.group_id ORDER BY gm.group_id) FROM group_members gm
                   WHERE gm.org_id = m.org_id AND gm.user_id = m.user_id), '{}') AS group_ids
       FROM memberships m
       JOIN users u ON u.id = m.user_id
       LEFT JOIN user_policies p ON p.org_id = m.org_id AND p.user_id = m.user_id
      WHERE m.org_id = ${orgId} ${idsIn('m.user_id', userIds)}`,
  );
}

async function groupRows(em: EntityManager, orgId: string, groupIds: string[] | null): Promise<GroupRow[]> {
  return query(
    em,
    sql`SELECT gr.id, gr.name, gr.limits, gr.budgets,
        coalesce((SELECT array_agg(g.model ORDER BY g.model) FROM group_model_grants g
                   WHERE g.group_id = gr.id), '{}') AS grants
       FROM groups gr
      WHERE gr.org_id = ${orgId} ${idsIn('gr.id', groupIds)}`,
  );
}

type SnapshotPolicyBudget = SnapshotUserPolicy['budgets'][number];
/** Spend floors by `<type>:<id>:<period>`. */
type Floors = Map<string, { spentUsd: number; spentPeriod: string }>;

/**
 * The settled spend of every budget of these users and groups in its current period (one query): the
 * floors the gateways raise their `user:`/`group:` counters to, as for key budgets.
 */
async function spendFloors(
  em: EntityManager,
  orgId: string,
  users: UserRow[],
  groups: GroupRow[],
  now: number,
): Promise<Floors> {
  const subjects: { type: SpendScopeType; id: string; budgets: PolicyBudget[] | null }[] = [
    ...users.map((u) => ({ type: 'user' as const, id: u.id, budgets: u.budgets })),
    ...groups.map((g) => ({ type: 'group' as const, id: g.id, budgets: g.budgets })),
  ];
  const windows = subjects.flatMap((s) =>
    (s.budgets ?? []).map((b) => ({
      type: s.type,
      id: s.id,
      period: b.period,
      start: periodStart(b.period, now),
      end: periodEnd(b.period, now),
    })),
  );
  const micro = await scopeSpendMicro(em, orgId, windows);
  return new Map(
    windows.map((w, i) => [
      `${w.type}:${w.id}:${w.period}`,
      { spentUsd: (micro[i] ?? 0) / MICRO_USD, spentPeriod: periodId(w.period, now) },
    ]),
  );
}

const withFloors = (budgets: PolicyBudget[], floors: Floors, scope: string): SnapshotPolicyBudget[] =>
  budgets.map((b) => {
    const f = floors.get(`${scope}:${b.period}`);
    return f ? { ...b, spentUsd: f.spentUsd, spentPeriod: f.spentPeriod } : b;
  });

const toUser = (r: UserRow, floors: Floors): SnapshotUserPolicy => ({
  id: r.id,
  name: r.name || r.email,
  role: r.role,
  grants: r.grants,
  limits: limitsOf(r.limits),
  budgets: withFloors(budgetsOf(r.budgets), floors, `user:${r.id}`),
  groupIds: r.group_ids,
});

const toGroup = (r: GroupRow, floors: Floors): SnapshotGroup => ({
  id: r.id,
  name: r.name,
  grants: r.grants,
  limits: limitsOf(r.limits),
  budgets: withFloors(budgetsOf(r.budgets), floors, `group:${r.id}`),
});

export async function orgSettings(em: EntityManager, orgId: string): Promise<OrgSettings> {
  const rows: { model_access_without_grants: 'none' | 'all'; default_mcp_policy: DefaultMcpPolicy }[] =
    await query(
      em,
      sql`SELECT model_access_without_grants, default_mcp_policy FROM org_settings WHERE org_id = ${orgId}`,
    );
  const row = rows[0];
  return row
    ? { modelAccessWithoutGrants: row.model_access_without_grants, defaultMcpPolicy: row.default_mcp_policy }
    : DEFAULT_ORG_SETTINGS;
}

/** The whole people section (full snapshot; call inside its REPEATABLE READ transaction). */
export async function snapshotPeople(em: EntityManager, orgId: string): Promise<SnapshotPeople> {
  const [settings, users, groups] = [
    await orgSettings(em, orgId),
    await userRows(em, orgId, null),
    await groupRows(em, orgId, null),
  ];
  const floors = await spendFloors(em, orgId, users, groups, Date.now());
  return {
    settings,
    users: users.map((u) => toUser(u, floors)),
    groups: groups.map((g) => toGroup(g, floors)),
  };
}

/** Members' policies as they are now (deltas); users no longer members come back as deletions. */
export async function userPolicyChanges(
  em: EntityManager,
  orgId: string,
  userIds: string[],
): Promise<SnapshotChange[]> {
  if (userIds.length === 0) return [];
  const rows = await userRows(em, orgId, userIds);
  const floors = await spendFloors(em, orgId, rows, [], Date.now());
  const found = new Map(rows.map((r) => [r.id, r]));
  return userIds.map((id): SnapshotChange => {
    const r = found.get(id);
    return r ? { op: 'upsert_user_policy', value: toUser(r, floors) } : { op: 'delete_user_policy', id };
  });
}

export async function groupChange(
  em: EntityManager,
  orgId: string,
  groupId: string,
): Promise<SnapshotChange> {
  const [r] = await groupRows(em, orgId, [groupId]);
  const floors = r ? await spendFloors(em, orgId, [], [r], Date.now()) : new Map();
  return r ? { op: 'upsert_group', value: toGroup(r, floors) } : { op: 'delete_group', id: groupId };
}

export async function settingsChange(em: EntityManager, orgId: string): Promise<SnapshotChange> {
  return { op: 'org_settings', value: await orgSettings(em, orgId) };
}
