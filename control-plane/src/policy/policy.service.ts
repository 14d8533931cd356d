import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Limits } from '@portcullis/shared/api-keys';
import type { AuditAction } from '@portcullis/shared/audit';
import {
  type BudgetView,
  type EffectivePolicyView,
  effectivePolicy,
  type GrantView,
  type OrgSettings,
  type PolicyBudget,
  type PolicyKeyInput,
  type PolicyLimits,
  type PolicyLimitsView,
  type PolicyOwnerInput,
  type PolicySubjectInput,
  type PutLimitsInput,
  type UserPolicyView,
} from '@portcullis/shared/policy';
import type { SnapshotChange } from '@portcullis/shared/snapshot';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import type { OrgCaller } from '../common/request-context';
import { isUuid } from '../common/uuid';
import { execute, lockClause, query, sql } from '../database/sql';
import { ChangeRecorder } from '../snapshots/change-recorder';
import {
  groupChange,
  limitsOf,
  orgSettings,
  settingsChange,
  userPolicyChanges,
} from '../snapshots/snapshot-people';
import { SpendService, scopeKey } from '../usage/spend.service';

/** A subject of grants and limits: a member of the organization or one of its groups. */
export type PolicySubjectType = 'user' | 'group';

interface SubjectRow {
  id: string;
  name: string;
  role?: 'admin' | 'member';
  limits: Record<string, number | null> | null;
  budgets: PolicyBudget[] | null;
  grants: string[];
}

const budgetsOf = (raw: PolicyBudget[] | null): PolicyBudget[] =>
  (raw ?? []).map((b) => ({ limitUsd: b.limitUsd, period: b.period, alertThresholds: b.alertThresholds }));

const subjectOf = (r: SubjectRow): PolicySubjectInput => ({
  id: r.id,
  name: r.name,
  grants: r.grants,
  limits: limitsOf(r.limits),
  budgets: budgetsOf(r.budgets),
});

const GRANTS_OF_USER = sql`coalesce((SELECT array_agg(g.model ORDER BY g.model) FROM user_model_grants g
  WHERE g.org_id = m.org_id AND g.user_id = m.user_id), '{}')`;
const GRANTS_OF_GROUP = sql`coalesce((SELECT array_agg(g.model ORDER BY g.model) FROM group_model_grants g
  WHERE g.group_id = gr.id), '{}')`;

/**
 * Grants, limits and budgets of users and groups, the organization's settings, and effective policy
 * views. Every change is audited and reaches the gateways through the snapshot in its own transaction.
 * The read helpers taking an EntityManager (`userPolicy`, `removeUser`, `userChange`, `keyEffective`)
 * are for other services, inside their transactions; they do no access checks of their own.
 */
@Injectable()
export class PolicyService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly changes: ChangeRecorder,
    private readonly spend: SpendService,
  ) {}

  /**
   * The budgets of a user or group with the settled spend of their current period (`spentUsd`): a
   * user's is that of all their keys in the organization, a group's that of its members' keys.
   */
  async budgetsWithSpend(
    em: EntityManager,
    orgId: string,
    type: PolicySubjectType,
    id: string,
    budgets: readonly PolicyBudget[],
    now: number = Date.now(),
  ): Promise<BudgetView[]> {
    if (budgets.length === 0) return [];
    const spent =
      (await this.spend.scopeSpend(orgId, [{ type, id }], now, em)).get(scopeKey({ type, id })) ?? [];
    return budgets.map((b) => ({
      ...b,
      spentUsd: spent.find((s) => s.period === b.period)?.spentUsd ?? 0,
    }));
  }

  /* ------------------------------------------------------------ for other services */

  /** A member's own grants, limits, budgets and groups, and the policy their keys are held to before any key rule. */
  async userPolicy(em: EntityManager, orgId: string, userId: string): Promise<UserPolicyView> {
    const owner = await this.ownerInput(em, orgId, userId);
    const groups = await this.groupsOfUser(em, orgId, userId);
    const settings = await orgSettings(em, orgId);
    if (!owner) {
      const none = effectivePolicy(null, null, [], settings);
      return { grants: [], limits: limitsOf(null), budgets: [], groups: [], effective: none };
    }
    return {
      grants: [...owner.grants],
      limits: owner.limits,
      budgets: await this.budgetsWithSpend(em, orgId, 'user', userId, owner.budgets),
      groups: groups.map((g) => ({ id: g.id, name: g.name })),
      effective: effectivePolicy(null, owner, groups, settings),
    };
  }

  /**
   * Drops the user's grants, limits, budgets and group memberships in this organization, inside the
   * caller's transaction; returns the snapshot change that tells the gateways, for the caller to
   * record. (The membership's foreign keys would cascade these too; doing it here keeps the snapshot
   * change next to the deletion.)
   */
  async removeUser(em: EntityManager, orgId: string, userId: string): Promise<SnapshotChange[]> {
    await execute(em, sql`DELETE FROM group_members WHERE org_id = ${orgId} AND user_id = ${userId}`);
    await execute(em, sql`DELETE FROM user_model_grants WHERE org_id = ${orgId} AND user_id = ${userId}`);
    await execute(em, sql`DELETE FROM user_policies WHERE org_id = ${orgId} AND user_id = ${userId}`);
    return [{ op: 'delete_user_policy', id: userId }];
  }

  /**
   * The snapshot change for a member as they are now (role included): call it after a role change or a
   * new membership, inside that transaction, and pass it to `ChangeRecorder.record`.
   */
  async userChange(em: EntityManager, orgId: string, userId: string): Promise<SnapshotChange> {
    const [change] = await userPolicyChanges(em, orgId, [userId]);
    return change ?? { op: 'delete_user_policy', id: userId };
  }

  /** The effective policy of one key (the key detail view). */
  async keyEffective(
    em: EntityManager,
    orgId: string,
    key: PolicyKeyInput & { ownerId: string },
  ): Promise<EffectivePolicyView> {
    const owner = await this.ownerInput(em, orgId, key.ownerId);
    const groups = owner ? await this.groupsOfUser(em, orgId, key.ownerId) : [];
    const settings = await orgSettings(em, orgId);
    // A key whose owner left the organization keeps nothing from them: fail closed as a member.
    const asOwner: PolicyOwnerInput = owner ?? {
      id: key.ownerId,
      name: '',
      role: 'member',
      grants: [],
      limits: limitsOf(null),
      budgets: [],
    };
    return effectivePolicy(key, asOwner, groups, settings);
  }

  /* ------------------------------------------------------------ grants */

  async listGrants(caller: OrgCaller, type: PolicySubjectType, id: string): Promise<{ data: GrantView[] }> {
    await this.assertReadable(this.db.manager, caller, type, id);
    const rows: { model: string; created_at: Date }[] =
      type === 'user'
        ? await query(
            this.db,
            sql`SELECT model, created_at FROM user_model_grants WHERE org_id = ${caller.org.orgId}
                AND user_id = ${id} ORDER BY model`,
          )
        : await query(
            this.db,
            sql`SELECT model, created_at FROM group_model_grants WHERE group_id = ${id} ORDER BY model`,
          );
    return { data: rows.map((r) => ({ model: r.model, createdAt: new Date(r.created_at).toISOString() })) };
  }

  async addGrant(caller: OrgCaller, type: PolicySubjectType, id: string, model: string): Promise<GrantView> {
    return this.db.transaction(async (em) => {
      await this.assertSubject(em, caller.org.orgId, type, id, true);
      const known: unknown[] = await query(
        em,
        sql`SELECT 1 FROM models WHERE org_id = ${caller.org.orgId} AND slug = ${model}`,
      );
      if (known.length === 0) throw DomainError.invalidField('model', 'is not a model of this organization');
      const rows: { created_at: Date }[] =
        type === 'user'
          ? await query(
              em,
              sql`INSERT INTO user_model_grants (org_id, user_id, model, created_by)
                  VALUES (${caller.org.orgId}, ${id}, ${model}, ${caller.actor.userId})
               ON CONFLICT DO NOTHING RETURNING created_at`,
            )
          : await query(
              em,
              sql`INSERT INTO group_model_grants (group_id, model, created_by)
                  VALUES (${id}, ${model}, ${caller.actor.userId})
               ON CONFLICT DO NOTHING RETURNING created_at`,
            );
      const created = rows[0];
      if (!created) {
        // Granting what is already granted changes nothing: answer the grant as it stands.
        const [existing]: { created_at: Date }[] =
          type === 'user'
            ? await query(
                em,
                sql`SELECT created_at FROM user_model_grants WHERE org_id = ${caller.org.orgId}
                    AND user_id = ${id} AND model = ${model}`,
              )
            : await query(
                em,
                sql`SELECT created_at FROM group_model_grants WHERE group_id = ${id} AND model = ${model}`,
              );
        return { model, createdAt: new Date(existing?.created_at ?? Date.now()).toISOString() };
      }
      await this.record(em, caller, type, id, `${type}.grant_added` as const, null, { model });
      return { model, createdAt: new Date(created.created_at).toISOString() };
    });
  }

  async removeGrant(caller: OrgCaller, type: PolicySubjectType, id: string, model: string): Promise<void> {
    await this.db.transaction(async (em) => {
      await this.assertSubject(em, caller.org.orgId, type, id, true);
      const rows: unknown[] =
        type === 'user'
          ? await query(
              em,
              sql`WITH d AS (DELETE FROM user_model_grants WHERE org_id = ${caller.org.orgId}
                  AND user_id = ${id} AND model = ${model} RETURNING 1)
               SELECT * FROM d`,
            )
          : await query(
              em,
              sql`WITH d AS (DELETE FROM group_model_grants WHERE group_id = ${id} AND model = ${model}
                  RETURNING 1)
               SELECT * FROM d`,
            );
      if (rows.length === 0) throw DomainError.notFound('Grant');
      await this.record(em, caller, type, id, `${type}.grant_removed` as const, { model }, null);
    });
  }

  /* ------------------------------------------------------------ limits and budgets */

  /** The subject's limits and budgets, each budget with its current period's `spentUsd`. */
  async getLimits(caller: OrgCaller, type: PolicySubjectType, id: string): Promise<PolicyLimitsView> {
    await this.assertReadable(this.db.manager, caller, type, id);
    const limits = await this.limitsOf(this.db.manager, caller.org.orgId, type, id);
    const budgets = await this.budgetsWithSpend(this.db.manager, caller.org.orgId, type, id, limits.budgets);
    return { ...limits, budgets };
  }

  async putLimits(
    caller: OrgCaller,
    type: PolicySubjectType,
    id: string,
    input: PutLimitsInput,
  ): Promise<PolicyLimits> {
    return this.db.transaction(async (em) => {
      await this.assertSubject(em, caller.org.orgId, type, id, true);
      const before = await this.limitsOf(em, caller.org.orgId, type, id);
      const limits: Limits = limitsOf(input);
      const budgets = budgetsOf(input.budgets ?? []);
      if (type === 'user') {
        await query(
          em,
          sql`INSERT INTO user_policies (org_id, user_id, limits, budgets)
              VALUES (${caller.org.orgId}, ${id}, ${JSON.stringify(limits)}, ${JSON.stringify(budgets)})
           ON CONFLICT (org_id, user_id) DO UPDATE
             SET limits = EXCLUDED.limits, budgets = EXCLUDED.budgets,
                 updated_at = date_trunc('milliseconds', now())`,
        );
      } else {
        await execute(
          em,
          sql`UPDATE groups SET limits = ${JSON.stringify(limits)}, budgets = ${JSON.stringify(budgets)},
              updated_at = date_trunc('milliseconds', now())
            WHERE org_id = ${caller.org.orgId} AND id = ${id}`,
        );
      }
      const after: PolicyLimits = { ...limits, budgets };
      await this.record(em, caller, type, id, `${type}.limits_updated` as const, before, after);
      return after;
    });
  }

  /* ------------------------------------------------------------ organization settings */

  async getSettings(caller: OrgCaller): Promise<OrgSettings> {
    return orgSettings(this.db.manager, caller.org.orgId);
  }

  async updateSettings(caller: OrgCaller, input: Partial<OrgSettings>): Promise<OrgSettings> {
    return this.db.transaction(async (em) => {
      const before = await orgSettings(em, caller.org.orgId);
      const after: OrgSettings = { ...before, ...input };
      await query(
        em,
        sql`INSERT INTO org_settings (org_id, model_access_without_grants, default_mcp_policy)
            VALUES (${caller.org.orgId}, ${after.modelAccessWithoutGrants},
            ${JSON.stringify(after.defaultMcpPolicy)})
         ON CONFLICT (org_id) DO UPDATE
           SET model_access_without_grants = EXCLUDED.model_access_without_grants,
           default_mcp_policy = EXCLUDED.default_mcp_policy, updated_at = date_trunc('milliseconds',
             now())`,
      );
      await this.changes.record(
        em,
        caller,
        {
          action: 'org.settings_updated',
          targetType: 'organization',
          targetId: caller.org.orgId,
          before,
          after,
        },
        [await settingsChange(em, caller.org.orgId)],
      );
      return after;
    });
  }

  /* ------------------------------------------------------------ internals */

  /**
   * Members read their own grants and limits and those of groups they belong to; admins read all.
   * Anything else of the organization is 404 to a member only when it does not exist, else 403.
   */
  private async assertReadable(
    em: EntityManager,
    caller: OrgCaller,
    type: PolicySubjectType,
    id: string,
  ): Promise<void> {
    await this.assertSubject(em, caller.org.orgId, type, id, false);
    if (caller.org.role === 'admin') return;
    if (type === 'user' && id === caller.actor.userId) return;
    if (type === 'group') {
      const rows: unknown[] = await query(
        em,
        sql`SELECT 1 FROM group_members WHERE group_id = ${id} AND org_id = ${caller.org.orgId}
            AND user_id = ${caller.actor.userId}`,
      );
      if (rows.length > 0) return;
    }
    throw new DomainError('forbidden', `Only organization admins may read another ${type}'s policy`);
  }

  /** 404 unless the user is a member / the group exists in this organization; `lock` for writes. */
  private async assertSubject(
    em: EntityManager,
    orgId: string,
    type: PolicySubjectType,
    id: string,
    lock: boolean,
  ): Promise<void> {
    const what = type === 'user' ? 'User' : 'Group';
    if (!isUuid(id)) throw DomainError.notFound(what);
    const rows: unknown[] = await query(
      em,
      type === 'user'
        ? sql`SELECT 1 FROM memberships WHERE org_id = ${orgId} AND user_id = ${id}${lockClause(lock)}`
        : sql`SELECT 1 FROM groups WHERE org_id = ${orgId} AND id = ${id}${lockClause(lock)}`,
    );
    if (rows.length === 0) throw DomainError.notFound(what);
  }

  private async limitsOf(
    em: EntityManager,
    orgId: string,
    type: PolicySubjectType,
    id: string,
  ): Promise<PolicyLimits> {
    const rows: { limits: Record<string, number | null> | null; budgets: PolicyBudget[] | null }[] =
      type === 'user'
        ? await query(
            em,
            sql`SELECT limits, budgets FROM user_policies WHERE org_id = ${orgId} AND user_id = ${id}`,
          )
        : await query(em, sql`SELECT limits, budgets FROM groups WHERE org_id = ${orgId} AND id = ${id}`);
    const r = rows[0];
    return { ...limitsOf(r?.limits ?? null), budgets: budgetsOf(r?.budgets ?? null) };
  }

  private async ownerInput(
    em: EntityManager,
    orgId: string,
    userId: string,
  ): Promise<PolicyOwnerInput | null> {
    if (!isUuid(userId)) return null;
    const rows: (SubjectRow & { email: string })[] = await query(
      em,
      sql`SELECT u.id, u.name, u.email, m.role, p.limits, p.budgets, ${GRANTS_OF_USER} AS grants
            FROM memberships m JOIN users u ON u.id = m.user_id
            LEFT JOIN user_policies p ON p.org_id = m.org_id AND p.user_id = m.user_id
           WHERE m.org_id = ${orgId} AND m.user_id = ${userId}`,
    );
    const r = rows[0];
    if (!r) return null;
    return { ...subjectOf({ ...r, name: r.name || r.email }), role: r.role ?? 'member' };
  }

  private async groupsOfUser(
    em: EntityManager,
    orgId: string,
    userId: string,
  ): Promise<PolicySubjectInput[]> {
    const rows: SubjectRow[] = await query(
      em,
      sql`SELECT gr.id, gr.name, gr.limits, gr.budgets, ${GRANTS_OF_GROUP} AS grants
            FROM group_members gm JOIN groups gr ON gr.id = gm.group_id
           WHERE gm.org_id = ${orgId} AND gm.user_id = ${userId}
           ORDER BY lower(gr.name), gr.id`,
    );
    return rows.map(subjectOf);
  }

  /** One audit record and the subject's snapshot change, in the change's transaction. */
  private async record(
    em: EntityManager,
    caller: OrgCaller,
    type: PolicySubjectType,
    id: string,
    action: AuditAction,
    before: unknown,
    after: unknown,
  ): Promise<void> {
    const changes =
      type === 'user'
        ? await userPolicyChanges(em, caller.org.orgId, [id])
        : [await groupChange(em, caller.org.orgId, id)];
    await this.changes.record(em, caller, { action, targetType: type, targetId: id, before, after }, changes);
  }
}
