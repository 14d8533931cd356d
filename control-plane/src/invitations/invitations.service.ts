import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  type AcceptedInvitation,
  type AcceptInvitationBodySchema,
  AcceptInvitationSchema,
  type InvitationPeek,
  type Role,
} from '@portcullis/shared/auth';
import type { InvitationCreated, InvitationView } from '@portcullis/shared/members';
import { issuesToFields } from '@portcullis/shared/validation';
import { DataSource, type EntityManager } from 'typeorm';
import type { z } from 'zod';
import { AccountsService } from '../auth/accounts.service';
import { AuthService } from '../auth/auth.service';
import { DomainError } from '../common/errors/domain-error';
import type { AuthContext, OrgCaller } from '../common/request-context';
import { isUuid } from '../common/uuid';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { newOpaqueToken, sha256Hex } from '../crypto/hashing';
import { execute, lockClause, query, sql } from '../database/sql';
import { ChangeRecorder } from '../snapshots/change-recorder';
import { InvitationMail } from './invitation-mail.service';

const INVITATION_TTL_MS = 7 * 86_400_000;
const INVITATION_PREFIX = 'ptci_';
/** Advisory lock class (two-key form) under which an account is made for an email. */
const ACCOUNT_EMAIL_LOCK = 0x61636374; // 'acct'

@Injectable()
export class InvitationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly changes: ChangeRecorder,
    private readonly users: AccountsService,
    private readonly auth: AuthService,
    private readonly mail: InvitationMail,
  ) {}

  /**
   * Invites an email; a newer invitation for the same email replaces any pending one. The one-time
   * link is in the answer only when no mail is sent (no SMTP_URL): then the admin hands it over.
   */
  async invite(caller: OrgCaller, email: string, role: Role): Promise<InvitationCreated> {
    const token = newOpaqueToken(INVITATION_PREFIX);
    const acceptUrl = `${this.config.PUBLIC_DASHBOARD_URL.replace(/\/$/, '')}/invitations/${token}`;
    const invitation = await this.db.transaction(async (em) => {
      const members: unknown[] = await query(
        em,
        sql`SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.org_id = ${caller.org.orgId} AND u.email = ${email}`,
      );
      if (members.length > 0)
        throw new DomainError('conflict', `${email} is already a member of this organization`);
      await execute(
        em,
        sql`UPDATE invitations SET revoked_at = now(), mail_link_sealed = NULL
          WHERE org_id = ${caller.org.orgId} AND email = ${email} AND accepted_at IS NULL
            AND revoked_at IS NULL`,
      );
      const rows: { id: string; expires_at: Date; created_at: Date }[] = await query(
        em,
        sql`INSERT INTO invitations (org_id, email, role, token_hash, invited_by, expires_at)
         VALUES (${caller.org.orgId}, ${email}, ${role}, ${sha256Hex(token)}, ${caller.actor.userId},
           ${new Date(Date.now() + INVITATION_TTL_MS)}) RETURNING id, expires_at, created_at`,
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
      await this.changes.record(em, caller, {
        action: 'invitation.created',
        targetType: 'invitation',
        targetId: row.id,
        after: view,
      });
      return view;
    });
    if (invitation.mailStatus === 'queued') {
      await this.mail.enqueue(invitation.id);
      // Mailed: only the mailbox gets the link, so accepting proves the invitee received it (an admin
      // of any organization could otherwise create the account of an email they do not own).
      return { invitation, acceptUrl: null };
    }
    return { invitation, acceptUrl };
  }

  /** Withdraws a pending invitation (its link stops working); 404 when there is none by that id. */
  async revoke(caller: OrgCaller, id: string): Promise<void> {
    if (!isUuid(id)) throw DomainError.notFound('Invitation');
    await this.db.transaction(async (em) => {
      const rows: { id: string; email: string; role: Role }[] = await query(
        em,
        sql`WITH r AS (
           UPDATE invitations SET revoked_at = now(), mail_link_sealed = NULL
            WHERE id = ${id} AND org_id = ${caller.org.orgId} AND accepted_at IS NULL AND revoked_at IS NULL
            RETURNING id, email, role
         ) SELECT id, email, role FROM r`,
      );
      const inv = rows[0];
      if (!inv) throw DomainError.notFound('Invitation');
      await this.changes.record(em, caller, {
        action: 'invitation.revoked',
        targetType: 'invitation',
        targetId: inv.id,
        before: { id: inv.id, email: inv.email, role: inv.role },
        after: null,
      });
    });
  }

  /**
   * What the holder of a link may know before accepting: whose invitation it is, to which organization,
   * and whether that email already has an account (then they must sign in as it to accept).
   */
  async peek(token: string, auth: AuthContext | null): Promise<InvitationPeek> {
    const inv = await this.findLive(this.db.manager, token, false);
    const existing = await this.users.findByEmailWithHash(inv.email);
    const orgs: { name: string }[] = await query(
      this.db,
      sql`SELECT name FROM organizations WHERE id = ${inv.org_id}`,
    );
    return {
      invitation: {
        email: inv.email,
        role: inv.role,
        expiresAt: new Date(inv.expires_at).toISOString(),
        organization: { name: orgs[0]?.name ?? '' },
      },
      accountExists: existing !== null,
      signedInAs: auth?.email ?? null,
    };
  }

  /**
   * Accepts an invitation. An email that already has an account joins only with that account's own
   * session (no session: 401; another account's: 403) and no password is ever checked here, so the
   * route cannot be used to guess one. A new email becomes an account with the invitation's email and
   * the given name and password, and is signed in.
   */
  async accept(
    token: string,
    input: z.output<typeof AcceptInvitationBodySchema>,
    auth: AuthContext | null,
    ip: string,
    userAgent: string | null,
  ): Promise<AcceptedInvitation> {
    const joined = await this.db.transaction(async (em) => {
      const inv = await this.findLive(em, token, true);
      // Invitations from several organizations for one new email, accepted at once, take turns here:
      // the first makes the account, the others then find it and need its session (not a 500).
      await query(em, sql`SELECT pg_advisory_xact_lock(${ACCOUNT_EMAIL_LOCK}, hashtext(${inv.email}))`);
      const existing = await this.users.findByEmailWithHash(inv.email, em);
      let userId: string;
      if (existing) {
        if (!auth) {
          throw new DomainError(
            'unauthenticated',
            `${inv.email} already has an account: sign in as ${inv.email}, then accept the invitation`,
          );
        }
        if (auth.userId !== existing.id) {
          throw new DomainError(
            'forbidden',
            `This invitation is for ${inv.email}; you are signed in as ${auth.email}. Sign in as ${inv.email} to accept it`,
          );
        }
        userId = existing.id;
      } else {
        const parsed = AcceptInvitationSchema.safeParse({
          name: input.name ?? '',
          password: input.password ?? '',
        });
        if (!parsed.success) {
          throw DomainError.invalidFields(
            'A new account needs a name and a password',
            issuesToFields(parsed.error),
          );
        }
        const user = await this.users.create(em, { email: inv.email, ...parsed.data });
        userId = user.id;
      }
      await query(
        em,
        sql`INSERT INTO memberships (org_id, user_id, role) VALUES (${inv.org_id}, ${userId}, ${inv.role})
            ON CONFLICT (org_id, user_id) DO NOTHING`,
      );
      await execute(
        em,
        sql`UPDATE invitations SET accepted_at = now(), mail_link_sealed = NULL WHERE id = ${inv.id}`,
      );
      await this.changes.record(
        em,
        { orgId: inv.org_id, actor: { type: 'user', userId, ip } },
        {
          action: 'member.joined',
          targetType: 'user',
          targetId: userId,
          after: { userId, email: inv.email, role: inv.role, invitationId: inv.id, newAccount: !existing },
        },
      );
      return { userId, newAccount: !existing };
    });
    if (joined.newAccount) return this.auth.startSession(joined.userId, ip, userAgent);
    // The invitee is signed in already: no second session, and no token to hand out.
    return { token: null, ...(await this.auth.me(joined.userId)) };
  }

  /** The pending invitation behind a token (locked when `lock`), or the reason it cannot be used. */
  private async findLive(em: EntityManager, token: string, lock: boolean): Promise<LiveInvitation> {
    if (!token.startsWith(INVITATION_PREFIX) || token.length > 128) throw DomainError.notFound('Invitation');
    const rows: (LiveInvitation & { accepted_at: Date | null; revoked_at: Date | null })[] = await query(
      em,
      sql`SELECT id, org_id, email, role, expires_at, accepted_at, revoked_at FROM invitations
           WHERE token_hash = ${sha256Hex(token)}${lockClause(lock)}`,
    );
    const inv = rows[0];
    if (!inv) throw DomainError.notFound('Invitation');
    if (inv.accepted_at)
      throw new DomainError('invitation_used', 'This invitation has already been accepted');
    if (inv.revoked_at)
      throw new DomainError('invitation_used', 'This invitation was replaced by a newer one');
    if (new Date(inv.expires_at).getTime() <= Date.now()) {
      throw new DomainError('invitation_expired', 'This invitation has expired; ask an admin for a new one');
    }
    return inv;
  }
}

interface LiveInvitation {
  id: string;
  org_id: string;
  email: string;
  role: Role;
  expires_at: Date;
}
