import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ChangePasswordInput, LoginInput, Me, SignedIn } from '@portcullis/shared/auth';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import type { AuthContext } from '../common/request-context';
import { argon2Hash, argon2Verify, decoyArgon2Hash } from '../crypto/hashing';
import { execute, query, sql } from '../database/sql';
import { OrgsService } from '../orgs/orgs.service';
import { AccountsService, toPublicUser } from './accounts.service';
import { countLoginAttempt, forgiveLoginAttempt, recordLoginAttempt } from './login-throttle';
import { SessionsService } from './sessions.service';

@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: AccountsService,
    private readonly orgs: OrgsService,
    private readonly sessions: SessionsService,
  ) {}

  async login(input: LoginInput, ip: string, userAgent: string | null): Promise<SignedIn> {
    // Counted before the check, so parallel guesses get no more tries than sequential ones.
    await countLoginAttempt(this.db, input.email, ip);
    const user = await this.users.findByEmailWithHash(input.email);
    // Unknown emails cost one argon2 verification too, so timing does not reveal who has an account.
    const ok = await argon2Verify(user?.passwordHash ?? (await decoyArgon2Hash()), input.password);
    if (!user || !ok || user.status !== 'active') {
      await recordLoginAttempt(this.db, input.email, ip, false);
      throw new DomainError('invalid_credentials', 'Wrong email or password');
    }
    // Only while the password is still the one just verified (a change may have committed meanwhile).
    const session = await this.sessions.create(user.id, ip, userAgent, user.passwordHash);
    if (!session) {
      await recordLoginAttempt(this.db, input.email, ip, false);
      throw new DomainError('invalid_credentials', 'Wrong email or password');
    }
    await forgiveLoginAttempt(this.db, input.email, ip);
    await recordLoginAttempt(this.db, input.email, ip, true);
    return this.signedIn(user.id, session);
  }

  /**
   * Changes the signed-in user's password after checking the current one (throttled like a sign-in, so a
   * stolen session cannot guess it), then ends every other session of theirs.
   */
  async changePassword(auth: AuthContext, input: ChangePasswordInput, ip: string): Promise<void> {
    await countLoginAttempt(this.db, auth.email, ip);
    const user = await this.users.findByEmailWithHash(auth.email);
    if (!user || !(await argon2Verify(user.passwordHash, input.currentPassword))) {
      await recordLoginAttempt(this.db, auth.email, ip, false);
      throw new DomainError('invalid_credentials', 'The current password is wrong', [
        { field: 'currentPassword', message: 'is wrong' },
      ]);
    }
    await forgiveLoginAttempt(this.db, auth.email, ip);
    const hash = await argon2Hash(input.newPassword);
    await this.db.transaction(async (em) => {
      await execute(
        em,
        sql`UPDATE users SET password_hash = ${hash}, updated_at = now() WHERE id = ${user.id}`,
      );
      await this.sessions.destroyAllOf(user.id, auth.sessionId, em);
    });
  }

  async startSession(userId: string, ip: string | null, userAgent: string | null): Promise<SignedIn> {
    const session = await this.sessions.create(userId, ip, userAgent);
    if (!session) throw new DomainError('unauthenticated', 'Sign in first');
    return this.signedIn(userId, session);
  }

  private async signedIn(userId: string, session: { token: string; expiresAt: Date }): Promise<SignedIn> {
    return { token: session.token, expiresAt: session.expiresAt.toISOString(), ...(await this.me(userId)) };
  }

  async me(userId: string): Promise<Me> {
    const rows: {
      id: string;
      email: string;
      name: string;
      status: 'active' | 'suspended';
      created_at: Date;
    }[] = await query(
      this.db,
      sql`SELECT id, email, name, status, created_at FROM users WHERE id = ${userId}`,
    );
    const row = rows[0];
    if (!row) throw new DomainError('unauthenticated', 'Sign in first');
    return {
      user: toPublicUser({ ...row, createdAt: row.created_at }),
      organizations: await this.orgs.listForUser(userId),
    };
  }
}
