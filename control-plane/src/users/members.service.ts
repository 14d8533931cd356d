import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { UsersQuery } from '@portcullis/shared/api/queries';
import type { MemberStatus, Role, UpdateMemberInput } from '@portcullis/shared/auth';
import { displayPrefix } from '@portcullis/shared/keys';
import type { Member, MemberDetail, MemberRow } from '@portcullis/shared/members';
import type { SnapshotChange } from '@portcullis/shared/snapshot';
import { DataSource, type EntityManager } from 'typeorm';
import { SessionsService } from '../auth/sessions.service';
import { DomainError } from '../common/errors/domain-error';
import { decodeCursor, encodeCursor, type Page } from '../common/pagination';
import type { OrgCaller } from '../common/request-context';
import { isUuid } from '../common/uuid';
import { bind, containsPattern, execute, joinSql, query, type Sql, sql } from '../database/sql';
import { KeysQueryService } from '../keys/keys-query.service';
import { PolicyService } from '../policy/policy.service';
import { type AuditRecord, ChangeRecorder } from '../snapshots/change-recorder';
import { snapshotKeys } from '../snapshots/snapshot-builder';
import { UsageService } from '../usage/usage.service';

interface MemberSqlRow {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  status: MemberStatus;
  created_at: Date;
  joined_at: Date | null;
  expires_at: Date | null;
  mail_status: 'queued' | 'sent' | 'failed' | null;
}

/**
 * Members and pending invitations of `orgId` as one relation. An account disabled everywhere
 * (users.status) shows as suspended too; an invitation for an email that is already a member is not
 * listed (it cannot be accepted into a second membership).
 */
const peopleOf = (orgId: string): Sql => {
  const org = bind(orgId);
  return sql`
  SELECT u.id, u.email, u.name, m.role,
         CASE WHEN m.status = 'active' AND u.status = 'active' THEN 'active' ELSE 'suspended' END AS status,
         u.created_at, m.created_at AS joined_at, NULL::timestamptz AS expires_at, NULL::text AS mail_status
    FROM memberships m JOIN users u ON u.id = m.user_id
   WHERE m.org_id = ${org}
  UNION ALL
  SELECT i.id, i.email, NULL, i.role, 'invited', i.created_at, NULL, i.expires_at, i.mail_status
    FROM invitations i
   WHERE i.org_id = ${org} AND i.accepted_at IS NULL AND i.revoked_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                      WHERE m.org_id = i.org_id AND u.email = i.email)`;
};

const toRow = (r: MemberSqlRow, now = Date.now()): MemberRow => ({
  id: r.id,
  name: r.name,
  email: r.email,
  role: r.role,
  status: r.status,
  createdAt: new Date(r.created_at).toISOString(),
  joinedAt: r.joined_at ? new Date(r.joined_at).toISOString() : null,
  invitation: r.expires_at
    ? {
        expiresAt: new Date(r.expires_at).toISOString(),
        expired: new Date(r.expires_at).getTime() <= now,
        mailStatus: r.mail_status,
      }
    : null,
});

const isEmailCursor = (v: unknown): v is { e: string; i: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { e: unknown }).e === 'string' &&
  isUuid((v as { i: unknown }).i);

interface LockedMembership {
  user_id: string;
  role: Role;
  status: 'active' | 'suspended';
}

/**
 * People in one organization: the users list (members and pending invitations), a member's detail,
 * role and name changes, suspension and removal. Every change is audited, and every change that
 * gateways must see (a suspension, a removal) moves the snapshot in the same transaction.
 */
@Injectable()
export class MembersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly changes: ChangeRecorder,
    private readonly keys: KeysQueryService,
    private readonly usage: UsageService,
    private readonly policy: PolicyService,
    private readonly sessions: SessionsService,
  ) {}

  /** Members and pending invitations, ordered by email, searchable by name or email. */
  async list(orgId: string, q: UsersQuery): Promise<Page<MemberRow>> {
    const where: Sql[] = [];
    if (q.search) {
      const p = bind(containsPattern(q.search));
      where.push(sql`(p.email ILIKE ${p} OR p.name ILIKE ${p})`);
    }
    if (q.status) where.push(sql`p.status = ${q.status}`);
    if (q.cursor) {
      const c = decodeCursor(q.cursor, isEmailCursor);
      where.push(sql`(p.email, p.id) > (${c.e}, ${c.i}::uuid)`);
    }
    const rows: MemberSqlRow[] = await query(
      this.db,
      sql`SELECT * FROM (${peopleOf(orgId)}) p WHERE ${joinSql(where, ' AND ', 'TRUE')}
           ORDER BY p.email, p.id LIMIT ${q.limit + 1}`,
    );
    const now = Date.now();
    const page = rows.slice(0, q.limit).map((r) => toRow(r, now));
    const last = page[page.length - 1];
    return {
      data: page,
      nextCursor: rows.length > q.limit && last ? encodeCursor({ e: last.email, i: last.id }) : null,
    };
  }

  /** A member of the organization (invitations are not members: 404). */
  async get(orgId: string, userId: string, em: EntityManager = this.db.manager): Promise<Member> {
    if (!isUuid(userId)) throw DomainError.notFound('User');
    const rows: MemberSqlRow[] = await query(
      em,
      sql`SELECT * FROM (${peopleOf(orgId)}) p WHERE p.id = ${userId} AND p.status <> 'invited'`,
    );
    const r = rows[0];
    if (!r) throw DomainError.notFound('User');
    return toRow(r) as Member;
  }

  /** The member with their keys, grants, limits, budgets, groups, effective policy and recent usage. */
  async detail(caller: OrgCaller, userId: string): Promise<MemberDetail> {
    const member = await this.get(caller.org.orgId, userId);
    const keys = await this.keys.list(caller, { ownerId: member.id, sort: 'created', limit: 200 });
    const policy = await this.policy.userPolicy(this.db.manager, caller.org.orgId, member.id);
    const report = await this.usage.report(caller, { bucket: 'day', userId: member.id });
    return {
      ...member,
      keys,
      ...policy,
      usage: { from: report.from, to: report.to, totals: report.totals },
    };
  }

  /**
   * Role (admins only) and name (admins, or the member themself). A role change applies to the
   * member's next request: the guard reads the membership on every call.
   */
  async update(caller: OrgCaller, userId: string, input: UpdateMemberInput): Promise<Member> {
    const isAdmin = caller.org.role === 'admin';
    if (!isAdmin && (input.role !== undefined || userId !== caller.actor.userId)) {
      throw new DomainError(
        'forbidden',
        input.role !== undefined
          ? 'Only organization admins may change roles'
          : 'Members may only change their own name',
      );
    }
    return this.db.transaction(async (em) => {
      const target = await this.lockMember(em, caller.org.orgId, userId);
      const before = await this.get(caller.org.orgId, userId, em);
      if (input.role !== undefined && input.role !== target.role) {
        if (input.role !== 'admin') await this.assertNotLastAdmin(em, caller.org.orgId, target, 'demoted');
        await execute(
          em,
          sql`UPDATE memberships SET role = ${input.role} WHERE org_id = ${caller.org.orgId}
              AND user_id = ${userId}`,
        );
      }
      if (input.name !== undefined && input.name !== before.name) {
        await execute(
          em,
          sql`UPDATE users SET name = ${input.name}, updated_at = now() WHERE id = ${userId}`,
        );
      }
      const after = await this.get(caller.org.orgId, userId, em);
      if (after.role === before.role && after.name === before.name) return after;
      await this.changes.record(
        em,
        caller,
        {
          action: 'user.updated',
          targetType: 'user',
          targetId: userId,
          before: { role: before.role, name: before.name },
          after: { role: after.role, name: after.name },
        },
        // Gateways hold each member's role (admins may use every model): send it on.
        after.role !== before.role ? [await this.policy.userChange(em, caller.org.orgId, userId)] : undefined,
      );
      return after;
    });
  }

  /**
   * Ends every session of a member of this organization (a lost laptop, a leaving employee). Sessions
   * belong to the person, not to one organization, so all of theirs end. Audited with the count.
   */
  async endSessions(caller: OrgCaller, userId: string): Promise<{ ended: number }> {
    if (!isUuid(userId)) throw DomainError.notFound('User');
    return this.db.transaction(async (em) => {
      if (
        !(
          await query(
            em,
            sql`SELECT 1 FROM memberships WHERE org_id = ${caller.org.orgId} AND user_id = ${userId}`,
          )
        ).length
      ) {
        throw DomainError.notFound('User');
      }
      const ended = await this.sessions.destroyAllOf(userId, null, em);
      await this.changes.record(em, caller, {
        action: 'user.sessions_ended',
        targetType: 'user',
        targetId: userId,
        before: null,
        after: { ended },
      });
      return { ended };
    });
  }

  /** Suspends the membership (idempotent): sessions are refused in this org, keys at every gateway. */
  suspend(caller: OrgCaller, userId: string): Promise<Member> {
    return this.setStatus(caller, userId, 'suspended');
  }

  /** Lifts a suspension (idempotent). Keys come back in exactly the states they had. */
  reactivate(caller: OrgCaller, userId: string): Promise<Member> {
    return this.setStatus(caller, userId, 'active');
  }

  private setStatus(caller: OrgCaller, userId: string, status: 'active' | 'suspended'): Promise<Member> {
    return this.db.transaction(async (em) => {
      const target = await this.lockMember(em, caller.org.orgId, userId);
      if (target.status === status) return this.get(caller.org.orgId, userId, em);
      if (status === 'suspended') await this.assertNotLastAdmin(em, caller.org.orgId, target, 'suspended');
      const before = await this.get(caller.org.orgId, userId, em);
      const to = bind(status);
      await execute(
        em,
        sql`UPDATE memberships SET status = ${to},
            suspended_at = CASE WHEN ${to} = 'suspended' THEN now() END
             WHERE org_id = ${caller.org.orgId} AND user_id = ${userId}`,
      );
      const after = await this.get(caller.org.orgId, userId, em);
      const keys = await this.liveKeys(em, caller.org.orgId, userId);
      await this.changes.record(
        em,
        caller,
        {
          action: status === 'suspended' ? 'user.suspended' : 'user.reactivated',
          targetType: 'user',
          targetId: userId,
          before: { status: before.status },
          after: { status: after.status, keys: keys.ids },
        },
        keys.ids.length > 0 ? keys.changes : undefined,
      );
      return after;
    });
  }

  /**
   * Removes the member from the organization: the membership goes, their keys here are deleted (and
   * refused at every gateway), their grants, limits, budgets and group memberships are dropped. The
   * user row, their usage history and the audit trail stay, still attributed to them.
   */
  async remove(caller: OrgCaller, userId: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const target = await this.lockMember(em, caller.org.orgId, userId);
      await this.assertNotLastAdmin(em, caller.org.orgId, target, 'removed');
      const before = await this.get(caller.org.orgId, userId, em);
      const deleted: { id: string; name: string; key_id: string; status: string }[] = await query(
        em,
        sql`WITH gone AS (
           UPDATE api_keys SET deleted_at = now(), secret_hash = NULL, updated_at = now()
            WHERE org_id = ${caller.org.orgId} AND owner_id = ${userId} AND deleted_at IS NULL
            RETURNING id, name, key_id, status
         ) SELECT id, name, key_id, status FROM gone ORDER BY id`,
      );
      const policyGone = await this.policy.removeUser(em, caller.org.orgId, userId);
      await execute(
        em,
        sql`DELETE FROM memberships WHERE org_id = ${caller.org.orgId} AND user_id = ${userId}`,
      );
      await this.changes.record(
        em,
        caller,
        [
          ...deleted.map(
            (k): AuditRecord => ({
              action: 'key.deleted',
              targetType: 'api_key',
              targetId: k.id,
              before: {
                id: k.id,
                name: k.name,
                prefix: displayPrefix(k.key_id),
                ownerId: userId,
                status: k.status,
              },
              after: null,
            }),
          ),
          {
            action: 'user.removed',
            targetType: 'user',
            targetId: userId,
            before,
            after: { deletedKeys: deleted.map((k) => k.id) },
          },
        ],
        [...policyGone, ...deleted.map((k): SnapshotChange => ({ op: 'delete_key', id: k.id }))],
      );
    });
  }

  /** The target's membership, locked for the rest of the transaction (404 when not a member). */
  private async lockMember(em: EntityManager, orgId: string, userId: string): Promise<LockedMembership> {
    if (!isUuid(userId)) throw DomainError.notFound('User');
    // Every admin row is locked too, in one statement and a stable order, so two admins demoting or
    // removing each other at once cannot both pass the last-admin check.
    const rows: LockedMembership[] = await query(
      em,
      sql`SELECT user_id, role, status FROM memberships
        WHERE org_id = ${orgId} AND (user_id = ${userId} OR role = 'admin') ORDER BY user_id FOR UPDATE`,
    );
    const target = rows.find((r) => r.user_id === userId);
    if (!target) throw DomainError.notFound('User');
    return target;
  }

  /** 409 when `target` is the organization's only active admin (call after `lockMember`). */
  private async assertNotLastAdmin(
    em: EntityManager,
    orgId: string,
    target: LockedMembership,
    what: 'demoted' | 'suspended' | 'removed',
  ): Promise<void> {
    if (target.role !== 'admin' || target.status !== 'active') return;
    const rows: { n: string }[] = await query(
      em,
      sql`SELECT count(*) AS n FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.org_id = ${orgId} AND m.role = 'admin' AND m.status = 'active' AND u.status = 'active'
          AND m.user_id <> ${target.user_id}`,
    );
    if (Number(rows[0]?.n ?? 0) === 0) {
      throw new DomainError(
        'conflict',
        `This user is the last admin of the organization and cannot be ${what}: make another member an admin first`,
      );
    }
  }

  /** The ids of the user's live keys and their upserts, as gateways must now see them. */
  private async liveKeys(
    em: EntityManager,
    orgId: string,
    userId: string,
  ): Promise<{ ids: string[]; changes: SnapshotChange[] }> {
    const rows: { id: string }[] = await query(
      em,
      sql`SELECT id FROM api_keys WHERE org_id = ${orgId} AND owner_id = ${userId} AND deleted_at IS NULL
          ORDER BY id`,
    );
    if (rows.length === 0) return { ids: [], changes: [] };
    const ids = rows.map((r) => r.id);
    const keys = await snapshotKeys(em, orgId, ids);
    return { ids, changes: keys.map((value): SnapshotChange => ({ op: 'upsert_key', value })) };
  }
}
