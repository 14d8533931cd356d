import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { SessionView } from '@portcullis/shared/auth';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthContext } from '../common/request-context';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { newOpaqueToken, sha256Hex } from '../crypto/hashing';
import { bind, execute, query, sql } from '../database/sql';

export const SESSION_COOKIE = 'portcullis_session';
const SESSION_PREFIX = 'ptcs_';

@Injectable()
export class SessionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get ttlMs(): number {
    return this.config.SESSION_TTL_HOURS * 3_600_000;
  }

  /**
   * Creates a session; only the SHA-256 of the token is stored. With `verifiedHash` (a sign-in), the
   * session is made only if the account still has that password hash and is active, checked in the
   * same statement under a share lock on the user's row: a sign-in that verified the old password while
   * a password change was committing either lands before the change (and is ended by it) or finds the
   * new hash and makes nothing (null). Otherwise a guess that raced the change would outlive it.
   */
  async create(
    userId: string,
    sourceIp: string | null,
    userAgent: string | null,
    verifiedHash?: string,
  ): Promise<{ token: string; expiresAt: Date } | null> {
    const token = newOpaqueToken(SESSION_PREFIX);
    const expiresAt = new Date(Date.now() + this.ttlMs);
    const verified = bind(verifiedHash ?? null);
    const rows: unknown[] = await query(
      this.db,
      sql`INSERT INTO sessions (token_hash, user_id, expires_at, source_ip, user_agent)
          SELECT ${sha256Hex(token)}, u.id, ${expiresAt}, ${sourceIp}, ${userAgent?.slice(0, 512) ?? null}
            FROM users u
           WHERE u.id = ${userId} AND (${verified}::text IS NULL OR (u.password_hash = ${verified}
             AND u.status = 'active'))
           FOR SHARE
          RETURNING id`,
    );
    return rows.length > 0 ? { token, expiresAt } : null;
  }

  /** Resolves a presented token to a live session of an active user, or null. */
  async resolve(token: string, via: AuthContext['via']): Promise<AuthContext | null> {
    if (!token.startsWith(SESSION_PREFIX) || token.length > 128) return null;
    const rows: { id: string; user_id: string; email: string }[] = await query(
      this.db,
      sql`SELECT s.id, s.user_id, u.email FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = ${sha256Hex(token)} AND s.expires_at > now() AND u.status = 'active'`,
    );
    const row = rows[0];
    return row ? { sessionId: row.id, userId: row.user_id, email: row.email, via } : null;
  }

  async destroy(sessionId: string): Promise<void> {
    await execute(this.db, sql`DELETE FROM sessions WHERE id = ${sessionId}`);
  }

  /** Ends every session of the user except `keep` (if given); returns how many ended. */
  async destroyAllOf(
    userId: string,
    keep: string | null = null,
    em: EntityManager = this.db.manager,
  ): Promise<number> {
    const kept = bind(keep);
    const rows: { n: number }[] = await query(
      em,
      sql`WITH gone AS (DELETE FROM sessions WHERE user_id = ${userId} AND (${kept}::uuid IS NULL
          OR id <> ${kept}) RETURNING 1)
          SELECT count(*)::int AS n FROM gone`,
    );
    return rows[0]?.n ?? 0;
  }

  /** The user's live sessions, newest first: where and when they began, never a token or its hash. */
  async listOf(userId: string, currentId: string): Promise<SessionView[]> {
    const rows: {
      id: string;
      created_at: Date;
      expires_at: Date;
      source_ip: string | null;
      user_agent: string | null;
    }[] = await query(
      this.db,
      sql`SELECT id, created_at, expires_at, source_ip, user_agent FROM sessions
          WHERE user_id = ${userId} AND expires_at > now() ORDER BY created_at DESC, id LIMIT 200`,
    );
    return rows.map((r) => ({
      id: r.id,
      current: r.id === currentId,
      createdAt: new Date(r.created_at).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
      sourceIp: r.source_ip,
      userAgent: r.user_agent,
    }));
  }
}
