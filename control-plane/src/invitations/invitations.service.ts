import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Role } from '@portcullis/shared/auth';
import type { InvitationView } from '@portcullis/shared/members';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthService, type SignedIn } from '../auth/auth.service';
import { DomainError } from '../common/errors/domain-error';
import type { OrgCaller } from '../common/request-context';
import { isUuid } from '../common/uuid';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { argon2Verify, newOpaqueToken, sha256Hex } from '../crypto/hashing';
import { UsersService } from '../users/users.service';
import { InvitationMail } from './invitation-mail.service';

const INVITATION_TTL_MS = 7 * 86_400_000;
const INVITATION_PREFIX = 'ptci_';

@Injectable()
export class InvitationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly users: UsersService,
    private readonly auth: AuthService,
    private readonly mail: InvitationMail,
  ) {}

  /** Invites an email; a newer invitation for the same email replaces any pending one. */
  async invite(
    caller: OrgCaller,
    email: string,
    role: Role,
  ): Promise<{ invitation: InvitationView; acceptUrl: string }> {
    const token = newOpaqueToken(INVITATION_PREFIX);
    const acceptUrl = `${this.config.PUBLIC_DASHBOARD_URL.replace(/\/$/, '')}/invitations/${token}`;
    const invitation = await this.db.transaction(async (em) => {
      const members: unknown[] = await em.query(
        'SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND u.email = $2',
        [caller.org.orgId, email],
      );
      if (members.length > 0)
        throw new DomainError('conflict', `${email} is already a member of this organization`);
      await em.query(
        `UPDATE invitations SET revoked_at = now(), mail_link_sealed = NULL
          WHERE org_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL`,
        [caller.org.orgId, email],
      );
      const rows: { id: string; expires_at: Date; created_at: Date }[] = await em.query(
        `INSERT INTO invitations (org_id, email, role, token_hash, invited_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, expires_at, created_at`,
        [
          caller.org.orgId,
          email,
          role,
          sha256Hex(token),
          caller.actor.userId,
          new Date(Date.now() + INVITATION_TTL_MS),
        ],
      );
      const row = rows[0];
      if (!row) throw new Error('invitation insert returned nothing');
      const mailed = await this.mail.prepare(em, row.id, acceptUrl);
      const view: InvitationView = {
        id: row.id,
        email,
        role,
        expiresAt: new Date(row.expires_at).toISOString(),
        createdAt: new Date(row.created_at).toISOString(),
        mailStatus: mailed ? 'queued' : null,
      };
      await this.audit.append(em, {
        orgId: caller.org.orgId,
        actor: caller.actor,
        action: 'invitation.created',
        targetType: 'invitation',
        targetId: row.id,
        after: view,
      });
      return view;
    });
    if (invitation.mailStatus === 'queued') await this.mail.enqueue(invitation.id);
    return { invitation, acceptUrl };
  }

  /** Withdraws a pending invitation (its link stops working); 404 when there is none by that id. */
  async revoke(caller: OrgCaller, id: string): Promise<void> {
    if (!isUuid(id)) throw DomainError.notFound('Invitation');
    await this.db.transaction(async (em) => {
      const rows: { id: string; email: string; role: Role }[] = await em.query(
        `WITH r AS (
           UPDATE invitations SET revoked_at = now(), mail_link_sealed = NULL
            WHERE id = $1 AND org_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL
            RETURNING id, email, role
         ) SELECT id, email, role FROM r`,
        [id, caller.org.orgId],
      );
      const inv = rows[0];
      if (!inv) throw DomainError.notFound('Invitation');
      await this.audit.append(em, {
        orgId: caller.org.orgId,
        actor: caller.actor,
        action: 'invitation.revoked',
        targetType: 'invitation',
        targetId: inv.id,
        before: { id: inv.id, email: inv.email, role: inv.role },
        after: null,
      });
    });
  }

  /**
   * Accepts an invitation. A new email becomes a user with the given name and password; an email
   * that already has an account must prove it with that account's password.
   */
  async accept(
    token: string,
    input: { name: string; password: string },
    ip: string,
    userAgent: string | null,
  ): Promise<SignedIn> {
    if (!token.startsWith(INVITATION_PREFIX) || token.length > 128) throw DomainError.notFound('Invitation');
    const userId = await this.db.transaction(async (em) => {
      const rows: {
        id: string;
        org_id: string;
        email: string;
        role: Role;
        expires_at: Date;
        accepted_at: Date | null;
        revoked_at: Date | null;
      }[] = await em.query(
        'SELECT id, org_id, email, role, expires_at, accepted_at, revoked_at FROM invitations WHERE token_hash = $1 FOR UPDATE',
        [sha256Hex(token)],
      );
      const inv = rows[0];
      if (!inv) throw DomainError.notFound('Invitation');
      if (inv.accepted_at)
        throw new DomainError('invitation_used', 'This invitation has already been accepted');
      if (inv.revoked_at)
        throw new DomainError('invitation_used', 'This invitation was replaced by a newer one');
      if (new Date(inv.expires_at).getTime() <= Date.now()) {
        throw new DomainError(
          'invitation_expired',
          'This invitation has expired; ask an admin for a new one',
        );
      }
      const existing = await this.users.findByEmailWithHash(inv.email, em);
      let user = existing;
      if (existing) {
        if (!(await argon2Verify(existing.passwordHash, input.password))) {
          throw new DomainError(
            'invalid_credentials',
            'This email already has an account: enter its password to join',
          );
        }
      } else {
        user = await this.users.create(em, { email: inv.email, name: input.name, password: input.password });
      }
      if (!user) throw new Error('unreachable: no user after accept');
      await em.query(
        'INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (org_id, user_id) DO NOTHING',
        [inv.org_id, user.id, inv.role],
      );
      await em.query('UPDATE invitations SET accepted_at = now(), mail_link_sealed = NULL WHERE id = $1', [
        inv.id,
      ]);
      await this.audit.append(em, {
        orgId: inv.org_id,
        actor: { type: 'user', userId: user.id, ip },
        action: 'member.joined',
        targetType: 'user',
        targetId: user.id,
        after: { userId: user.id, email: inv.email, role: inv.role, invitationId: inv.id },
      });
      return user.id;
    });
    return this.auth.startSession(userId, ip, userAgent);
  }
}
