import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PageQuery } from '@portcullis/shared/api/queries';
import type { AuditAction } from '@portcullis/shared/audit';
import type { GroupDetailView, GroupView, PolicyBudget } from '@portcullis/shared/policy';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { nameKeyset, toPage } from '../common/keyset';
import type { Page } from '../common/pagination';
import { isUniqueViolation } from '../common/pg-errors';
import type { OrgCaller } from '../common/request-context';
import { foundById, isUuid } from '../common/uuid';
import { execute, query, queryOne, sql } from '../database/sql';
import { ChangeRecorder } from '../snapshots/change-recorder';
import { groupChange, limitsOf, userPolicyChanges } from '../snapshots/snapshot-people';
import { SpendService, scopeKey } from '../usage/spend.service';

interface GroupRow {
  id: string;
  name: string;
  member_count: string;
  created_at: Date;
  updated_at: Date;
}

const SELECT = sql`SELECT gr.id, gr.name, gr.created_at, gr.updated_at,
    (SELECT count(*) FROM group_members gm WHERE gm.group_id = gr.id) AS member_count
  FROM groups gr`;

const toView = (r: GroupRow): GroupView => ({
  id: r.id,
  name: r.name,
  memberCount: Number(r.member_count),
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

const nameTaken = (name: string) =>
  new DomainError('conflict', `A group named "${name}" already exists`, [
    { field: 'name', message: 'is already used by another group' },
  ]);

/**
 * Groups of an organization's members. A group carries grants, limits and budgets (see PolicyService)
 * that apply to every key of every member. Admins manage groups; members see the groups they are in.
 */
@Injectable()
export class GroupsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly changes: ChangeRecorder,
    private readonly spend: SpendService,
  ) {}

  async list(caller: OrgCaller, q: PageQuery): Promise<Page<GroupView>> {
    const mine =
      caller.org.role === 'admin'
        ? sql`TRUE`
        : sql`EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = gr.id
            AND gm.user_id = ${caller.actor.userId})`;
    const ks = nameKeyset('lower(gr.name)', 'gr.id', q);
    const rows: GroupRow[] = await query(
      this.db,
      sql`${SELECT} WHERE gr.org_id = ${caller.org.orgId} AND ${mine} AND ${ks.where}
           ORDER BY lower(gr.name), gr.id LIMIT ${ks.limit}`,
    );
    return toPage(rows, q.limit, toView, (r) => ({ v: r.name.toLowerCase(), i: r.id }));
  }

  async get(caller: OrgCaller, id: string): Promise<GroupDetailView> {
    const em = this.db.manager;
    const group = await this.find(em, caller, id);
    if (caller.org.role !== 'admin') {
      const mine: unknown[] = await query(
        em,
        sql`SELECT 1 FROM group_members WHERE group_id = ${id} AND org_id = ${caller.org.orgId}
            AND user_id = ${caller.actor.userId}`,
      );
      if (mine.length === 0)
        throw new DomainError('forbidden', 'Only organization admins may read groups they are not in');
    }
    return this.detail(em, group);
  }

  async create(caller: OrgCaller, name: string): Promise<GroupDetailView> {
    try {
      return await this.db.transaction(async (em) => {
        const rows: { id: string }[] = await query(
          em,
          sql`INSERT INTO groups (org_id, name, created_by) VALUES (${caller.org.orgId}, ${name},
              ${caller.actor.userId}) RETURNING id`,
        );
        const view = await this.detail(em, await this.find(em, caller, rows[0]?.id ?? ''));
        await this.record(em, caller, 'group.created', view.id, null, { name });
        return view;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'groups_org_name_key')) throw nameTaken(name);
      throw err;
    }
  }

  async rename(caller: OrgCaller, id: string, name: string): Promise<GroupDetailView> {
    try {
      return await this.db.transaction(async (em) => {
        const before = await this.find(em, caller, id, true);
        await execute(
          em,
          sql`UPDATE groups SET name = ${name}, updated_at = date_trunc('milliseconds', now())
              WHERE org_id = ${caller.org.orgId} AND id = ${id}`,
        );
        await this.record(em, caller, 'group.updated', id, { name: before.name }, { name });
        return this.detail(em, await this.find(em, caller, id));
      });
    } catch (err) {
      if (isUniqueViolation(err, 'groups_org_name_key')) throw nameTaken(name);
      throw err;
    }
  }

  /** Deleting a group drops its memberships and grants; its members keep everything else. */
  async remove(caller: OrgCaller, id: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const before = await this.find(em, caller, id, true);
      const members: { user_id: string }[] = await query(
        em,
        sql`SELECT user_id FROM group_members WHERE group_id = ${id} ORDER BY user_id`,
      );
      await execute(em, sql`DELETE FROM groups WHERE org_id = ${caller.org.orgId} AND id = ${id}`);
      await this.changes.record(
        em,
        caller,
        {
          action: 'group.deleted',
          targetType: 'group',
          targetId: id,
          before: { name: before.name, members: members.map((m) => m.user_id) },
          after: null,
        },
        [
          { op: 'delete_group', id },
          ...(await userPolicyChanges(
            em,
            caller.org.orgId,
            members.map((m) => m.user_id),
          )),
        ],
      );
    });
  }

  async addMember(caller: OrgCaller, id: string, userId: string): Promise<void> {
    await this.db.transaction(async (em) => {
      await this.find(em, caller, id, true);
      await this.assertMember(em, caller.org.orgId, userId);
      const rows: unknown[] = await query(
        em,
        sql`INSERT INTO group_members (group_id, org_id, user_id) VALUES (${id}, ${caller.org.orgId},
            ${userId})
         ON CONFLICT DO NOTHING RETURNING 1`,
      );
      if (rows.length === 0) return; // already a member: nothing changes
      await this.memberChanged(em, caller, 'group.member_added', id, userId);
    });
  }

  async removeMember(caller: OrgCaller, id: string, userId: string): Promise<void> {
    await this.db.transaction(async (em) => {
      await this.find(em, caller, id, true);
      if (!isUuid(userId)) throw DomainError.notFound('Group member');
      const rows: unknown[] = await query(
        em,
        sql`WITH d AS (DELETE FROM group_members WHERE group_id = ${id} AND user_id = ${userId}
            RETURNING 1) SELECT * FROM d`,
      );
      if (rows.length === 0) throw DomainError.notFound('Group member');
      await this.memberChanged(em, caller, 'group.member_removed', id, userId);
    });
  }

  private async memberChanged(
    em: EntityManager,
    caller: OrgCaller,
    action: AuditAction,
    groupId: string,
    userId: string,
  ): Promise<void> {
    await this.changes.record(
      em,
      caller,
      { action, targetType: 'group', targetId: groupId, before: null, after: { userId } },
      // The member's group ids changed; the group itself did not.
      await userPolicyChanges(em, caller.org.orgId, [userId]),
    );
  }

  private async assertMember(em: EntityManager, orgId: string, userId: string): Promise<void> {
    if (!isUuid(userId)) throw DomainError.notFound('User');
    const rows: unknown[] = await query(
      em,
      sql`SELECT 1 FROM memberships WHERE org_id = ${orgId} AND user_id = ${userId}`,
    );
    if (rows.length === 0) throw DomainError.notFound('User');
  }

  private find(em: EntityManager, caller: OrgCaller, id: string, lock = false): Promise<GroupRow> {
    return foundById('Group', id, () =>
      queryOne<GroupRow>(
        em,
        lock
          ? sql`SELECT gr.id, gr.name, gr.created_at, gr.updated_at, 0 AS member_count FROM groups gr
                 WHERE gr.org_id = ${caller.org.orgId} AND gr.id = ${id} FOR UPDATE`
          : sql`${SELECT} WHERE gr.org_id = ${caller.org.orgId} AND gr.id = ${id}`,
      ),
    );
  }

  private async detail(em: EntityManager, group: GroupRow): Promise<GroupDetailView> {
    const members: { id: string; name: string; email: string; role: 'admin' | 'member'; added_at: Date }[] =
      await query(
        em,
        sql`SELECT u.id, u.name, u.email, m.role, gm.created_at AS added_at
           FROM group_members gm
           JOIN memberships m ON m.org_id = gm.org_id AND m.user_id = gm.user_id
           JOIN users u ON u.id = gm.user_id
          WHERE gm.group_id = ${group.id} ORDER BY lower(u.name), u.id`,
      );
    const grants: { model: string }[] = await query(
      em,
      sql`SELECT model FROM group_model_grants WHERE group_id = ${group.id} ORDER BY model`,
    );
    const policy: { org_id: string; limits: Record<string, number | null>; budgets: PolicyBudget[] }[] =
      await query(em, sql`SELECT org_id, limits, budgets FROM groups WHERE id = ${group.id}`);
    const budgets: PolicyBudget[] = policy[0]?.budgets ?? [];
    const orgId = policy[0]?.org_id;
    const spent =
      budgets.length > 0 && orgId
        ? ((await this.spend.scopeSpend(orgId, [{ type: 'group', id: group.id }], Date.now(), em)).get(
            scopeKey({ type: 'group', id: group.id }),
          ) ?? [])
        : [];
    return {
      ...toView({ ...group, member_count: String(members.length) }),
      members: members.map((m) => ({
        id: m.id,
        name: m.name,
        email: m.email,
        role: m.role,
        addedAt: new Date(m.added_at).toISOString(),
      })),
      grants: grants.map((g) => g.model),
      limits: {
        ...limitsOf(policy[0]?.limits ?? null),
        budgets: budgets.map((b) => ({
          ...b,
          spentUsd: spent.find((s) => s.period === b.period)?.spentUsd ?? 0,
        })),
      },
    };
  }

  /** One audit record and the group's snapshot change, in the change's transaction. */
  private async record(
    em: EntityManager,
    caller: OrgCaller,
    action: AuditAction,
    id: string,
    before: unknown,
    after: unknown,
  ): Promise<void> {
    await this.changes.record(em, caller, { action, targetType: 'group', targetId: id, before, after }, [
      await groupChange(em, caller.org.orgId, id),
    ]);
  }
}
