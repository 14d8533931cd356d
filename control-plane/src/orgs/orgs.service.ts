import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { OrgMembershipView, Role } from '@portcullis/shared/auth';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import type { Actor } from '../common/request-context';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { query, type Sql, sql } from '../database/sql';
import { ChangeRecorder } from '../snapshots/change-recorder';
import type { MembershipStatus } from './membership.entity';

@Injectable()
export class OrgsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly changes: ChangeRecorder,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  listForUser(userId: string): Promise<OrgMembershipView[]> {
    return this.memberships(sql`m.user_id = ${userId}`);
  }

  async get(orgId: string, userId: string): Promise<OrgMembershipView> {
    const [org] = await this.memberships(sql`m.user_id = ${userId} AND m.org_id = ${orgId}`);
    if (!org) throw DomainError.notFound('Organization');
    return org;
  }

  private async memberships(where: Sql): Promise<OrgMembershipView[]> {
    const rows: { id: string; name: string; role: Role; status: MembershipStatus; created_at: Date }[] =
      await query(
        this.db,
        sql`SELECT o.id, o.name, m.role, m.status, o.created_at FROM memberships m
            JOIN organizations o ON o.id = m.org_id
             WHERE ${where} ORDER BY o.created_at, o.id`,
      );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      status: r.status,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  /** Creates an organization with `adminUserId` as its first admin, audited as the org's first record. */
  async create(
    em: EntityManager,
    name: string,
    adminUserId: string,
    actor: Actor,
  ): Promise<OrgMembershipView> {
    const rows: { id: string; created_at: Date }[] = await query(
      em,
      sql`INSERT INTO organizations (name, created_by) VALUES (${name}, ${adminUserId})
          RETURNING id, created_at`,
    );
    const org = rows[0];
    if (!org) throw new Error('organization insert returned nothing');
    await query(
      em,
      sql`INSERT INTO memberships (org_id, user_id, role) VALUES (${org.id}, ${adminUserId}, 'admin')`,
    );
    await this.changes.record(
      em,
      { orgId: org.id, actor },
      {
        action: 'org.created',
        targetType: 'organization',
        targetId: org.id,
        after: { name, adminUserId },
      },
    );
    return {
      id: org.id,
      name,
      role: 'admin',
      status: 'active',
      createdAt: new Date(org.created_at).toISOString(),
    };
  }

  /** A user creates an organization, at most MAX_ORGANIZATIONS_PER_USER of them (409 `limit_reached`). */
  createAsUser(name: string, actor: Actor & { userId: string }): Promise<OrgMembershipView> {
    return this.db.transaction(async (em) => {
      // The user's row lock serializes their creations, so a parallel burst cannot pass the count together.
      await query(em, sql`SELECT 1 FROM users WHERE id = ${actor.userId} FOR UPDATE`);
      const rows: { n: number }[] = await query(
        em,
        sql`SELECT count(*)::int AS n FROM organizations WHERE created_by = ${actor.userId}`,
      );
      const max = this.config.MAX_ORGANIZATIONS_PER_USER;
      if ((rows[0]?.n ?? 0) >= max) {
        throw new DomainError(
          'limit_reached',
          `You have created ${max} organizations, the most one user may (MAX_ORGANIZATIONS_PER_USER)`,
        );
      }
      return this.create(em, name, actor.userId, actor);
    });
  }

  async isMember(orgId: string, userId: string, em: EntityManager = this.db.manager): Promise<boolean> {
    const rows: unknown[] = await query(
      em,
      sql`SELECT 1 FROM memberships WHERE org_id = ${orgId} AND user_id = ${userId}`,
    );
    return rows.length > 0;
  }
}
