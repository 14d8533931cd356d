import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Role } from '@portcullis/shared/auth';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { decodeCursor, encodeCursor, type Page } from '../common/pagination';
import { isUuid } from '../common/uuid';
import { argon2Hash } from '../crypto/hashing';
import { User } from './user.entity';

export interface PublicUser {
  id: string;
  email: string;
  name: string;
  status: User['status'];
  createdAt: string;
}

export interface OrgUser extends PublicUser {
  role: Role;
}

export const toPublicUser = (
  u: Pick<User, 'id' | 'email' | 'name' | 'status' | 'createdAt'>,
): PublicUser => ({
  id: u.id,
  email: u.email,
  name: u.name,
  status: u.status,
  createdAt: new Date(u.createdAt).toISOString(),
});

interface OrgUserRow {
  id: string;
  email: string;
  name: string;
  status: User['status'];
  created_at: Date;
  role: Role;
}
const ORG_USER_SELECT =
  'SELECT u.id, u.email, u.name, u.status, u.created_at, m.role FROM memberships m JOIN users u ON u.id = m.user_id';
const toOrgUser = (r: OrgUserRow): OrgUser => ({
  ...toPublicUser({ ...r, createdAt: r.created_at }),
  role: r.role,
});

const isEmailCursor = (v: unknown): v is { e: string; i: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { e: unknown }).e === 'string' &&
  isUuid((v as { i: unknown }).i);

@Injectable()
export class UsersService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findByEmailWithHash(email: string, em: EntityManager = this.db.manager): Promise<User | null> {
    return em
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email })
      .getOne();
  }

  async create(em: EntityManager, input: { email: string; name: string; password: string }): Promise<User> {
    const repo = em.getRepository(User);
    const user = repo.create({
      email: input.email,
      name: input.name,
      passwordHash: await argon2Hash(input.password),
    });
    return repo.save(user);
  }

  /** The members of one organization, ordered by email, searchable by name or email. */
  async listInOrg(
    orgId: string,
    q: { search?: string; limit: number; cursor?: string },
  ): Promise<Page<OrgUser>> {
    const params: unknown[] = [orgId];
    let where = 'm.org_id = $1';
    if (q.search) {
      params.push(`%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where += ` AND (u.email ILIKE $${params.length} OR u.name ILIKE $${params.length})`;
    }
    if (q.cursor) {
      const c = decodeCursor(q.cursor, isEmailCursor);
      params.push(c.e, c.i);
      where += ` AND (u.email, u.id) > ($${params.length - 1}, $${params.length})`;
    }
    params.push(q.limit + 1);
    const rows: OrgUserRow[] = await this.db.query(
      `${ORG_USER_SELECT}
          WHERE ${where} ORDER BY u.email, u.id LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, q.limit).map(toOrgUser);
    const last = page[page.length - 1];
    return {
      data: page,
      nextCursor: rows.length > q.limit && last ? encodeCursor({ e: last.email, i: last.id }) : null,
    };
  }

  async getInOrg(orgId: string, userId: string): Promise<OrgUser> {
    if (!isUuid(userId)) throw DomainError.notFound('User');
    const rows: OrgUserRow[] = await this.db.query(
      `${ORG_USER_SELECT}
          WHERE m.org_id = $1 AND u.id = $2`,
      [orgId, userId],
    );
    const r = rows[0];
    if (!r) throw DomainError.notFound('User');
    return toOrgUser(r);
  }
}
