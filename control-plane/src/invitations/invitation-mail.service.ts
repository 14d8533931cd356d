import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import { createTransport, type Transporter } from 'nodemailer';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SecretBox } from '../crypto/secret-box';
import { bind, execute, query, sql } from '../database/sql';
import { JobsService } from '../jobs/jobs.service';

export const INVITATION_MAIL_QUEUE = 'invitation-mail';
/** Attempts per mail (the first included); BullMQ waits 1 s, 2 s, 4 s, … between them. */
export const INVITATION_MAIL_ATTEMPTS = 5;
const BACKOFF_MS = 1000;
/** Enqueueing never holds up the invite call for longer than this. */
const ENQUEUE_TIMEOUT_MS = 2000;

const linkAad = (invitationId: string) => `invitation-mail:${invitationId}`;

/** Anything that looks like an invitation token is cut out of what we log or store as an error. */
export const redactTokens = (s: string): string => s.replace(/ptci_[A-Za-z0-9_-]+/g, 'ptci_[redacted]');

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

interface MailRow {
  id: string;
  email: string;
  role: string;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
  mail_link_sealed: string | null;
  org_name: string;
  inviter_name: string | null;
  inviter_email: string | null;
}

/**
 * Invitation mail through SMTP_URL (nodemailer), as BullMQ jobs. The invitation row is the truth: the
 * accept link waits there sealed under the master key (Redis only carries the invitation id) and is
 * wiped once the mail is sent, has failed for good, or the invitation was replaced or accepted.
 * Without SMTP_URL nothing is queued: the admin copies the link from the invite response.
 */
@Injectable()
export class InvitationMail implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('InvitationMail');
  private transport: Transporter | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly box: SecretBox,
    private readonly jobs: JobsService,
  ) {}

  get enabled(): boolean {
    return this.config.SMTP_URL !== undefined;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    this.jobs.process(INVITATION_MAIL_QUEUE, (job) => this.run(job), { concurrency: 2 });
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }

  /** Inside the invite transaction: marks the mail queued and keeps the link sealed until it is sent. */
  async prepare(em: EntityManager, invitationId: string, acceptUrl: string): Promise<boolean> {
    if (!this.enabled) return false;
    await execute(
      em,
      sql`UPDATE invitations SET mail_status = 'queued', mail_link_sealed = ${this.box.seal(acceptUrl, linkAad(invitationId))}, mail_attempts = 0, mail_error = NULL
        WHERE id = ${invitationId}`,
    );
    return true;
  }

  /** After commit: hands the mail to the queue. Never throws; a Redis outage marks the mail failed. */
  async enqueue(invitationId: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.jobs.queue(INVITATION_MAIL_QUEUE).add(
          'send',
          { invitationId },
          {
            jobId: invitationId,
            attempts: INVITATION_MAIL_ATTEMPTS,
            backoff: { type: 'exponential', delay: BACKOFF_MS },
            removeOnComplete: true,
            removeOnFail: { count: 100 },
          },
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer from Redis within ${ENQUEUE_TIMEOUT_MS} ms`)),
            ENQUEUE_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (err) {
      const reason = `could not queue the mail: ${redactTokens((err as Error).message)}`;
      this.logger.warn(`invitation ${invitationId}: ${reason}`);
      await this.finish(invitationId, 'failed', reason).catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One attempt; throwing lets BullMQ retry with backoff until the attempts run out. */
  private async run(job: Job): Promise<void> {
    const invitationId = (job.data as { invitationId?: unknown }).invitationId;
    if (typeof invitationId !== 'string') return;
    const rows: MailRow[] = await query(
      this.db,
      sql`SELECT i.id, i.email, i.role, i.expires_at, i.accepted_at, i.revoked_at, i.mail_link_sealed,
              o.name AS org_name, u.name AS inviter_name, u.email AS inviter_email
         FROM invitations i JOIN organizations o ON o.id = i.org_id LEFT JOIN users u ON u.id = i.invited_by
        WHERE i.id = ${invitationId}`,
    );
    const row = rows[0];
    if (!row?.mail_link_sealed) return;
    if (row.accepted_at || row.revoked_at || new Date(row.expires_at).getTime() <= Date.now()) {
      // Replaced, accepted or expired before the mail went out: a link that no longer works is not sent.
      await this.finish(invitationId, 'failed', 'not sent: the invitation is no longer pending');
      return;
    }
    const link = this.box.open(row.mail_link_sealed, linkAad(invitationId));
    try {
      await this.transporter().sendMail(this.compose(row, link));
    } catch (err) {
      const attempt = job.attemptsMade + 1;
      const reason = redactTokens((err as Error).message);
      const last = attempt >= (job.opts.attempts ?? 1);
      this.logger.warn(
        `invitation ${invitationId}: mail attempt ${attempt}/${job.opts.attempts ?? 1} failed: ${reason}`,
      );
      if (last) await this.finish(invitationId, 'failed', reason);
      else {
        await execute(
          this.db,
          sql`UPDATE invitations SET mail_attempts = ${attempt}, mail_error = ${reason} WHERE id = ${invitationId}`,
        );
      }
      // A fresh error, so nothing the SMTP library attached (it may quote the message) reaches the logs.
      throw new Error(`mail attempt ${attempt} failed: ${reason}`);
    }
    await this.finish(invitationId, 'sent', null);
  }

  private async finish(invitationId: string, status: 'sent' | 'failed', error: string | null): Promise<void> {
    const to = bind(status);
    await execute(
      this.db,
      sql`UPDATE invitations SET mail_status = ${to}, mail_error = ${error}, mail_link_sealed = NULL,
            mail_attempts = mail_attempts + CASE WHEN ${to} = 'sent' THEN 1 ELSE 0 END,
            mail_sent_at = CASE WHEN ${to} = 'sent' THEN now() ELSE mail_sent_at END
          WHERE id = ${invitationId}`,
    );
  }

  private transporter(): Transporter {
    if (!this.transport) this.transport = createTransport(this.config.SMTP_URL);
    return this.transport;
  }

  private compose(row: MailRow, link: string) {
    const inviter = row.inviter_name || row.inviter_email || 'An admin';
    const expires = new Date(row.expires_at).toUTCString();
    const text = [
      `${inviter} invited you to join ${row.org_name} on Portcullis as ${row.role === 'admin' ? 'an admin' : 'a member'}.`,
      '',
      `Accept the invitation: ${link}`,
      '',
      `The link works once and expires on ${expires}. If you did not expect this mail, ignore it.`,
    ].join('\n');
    const html = `<p>${escapeHtml(inviter)} invited you to join <b>${escapeHtml(row.org_name)}</b> on Portcullis as ${
      row.role === 'admin' ? 'an admin' : 'a member'
    }.</p><p><a href="${escapeHtml(link)}">Accept the invitation</a></p><p>The link works once and expires on ${escapeHtml(
      expires,
    )}. If you did not expect this mail, ignore it.</p>`;
    return {
      from: this.config.SMTP_FROM,
      to: row.email,
      subject: `You are invited to ${row.org_name} on Portcullis`,
      text,
      html,
    };
  }
}
