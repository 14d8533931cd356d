import { clientAddressBlock } from '@portcullis/shared/cidr';
import type { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { bind, query, sql } from '../database/sql';

export const WINDOW_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_IP = 20;

const emailSubject = (email: string) => `email:${email}`;
// Counted per client, not per spelling: an IPv6 client by its /64 (it can pick any address in it), an
// IPv4-mapped address as the IPv4 one.
const ipSubject = (ip: string) => `ip:${clientAddressBlock(ip)}`;

/**
 * Counts one password attempt for `email` and for `ip` BEFORE the password is checked, and refuses it
 * (429 with Retry-After) when either count is past its limit for the current 15-minute window.
 *
 * The count is one upsert per subject in a single statement: Postgres locks each counter row while it
 * adds to it, so N parallel attempts see counts 1..N and only the first MAX ever reach argon2, exactly
 * as if they had come one after another. Rows are always taken in the same order (email, then ip),
 * so two statements never wait on each other in a cycle. Every control plane shares the one table.
 */
export async function countLoginAttempt(db: DataSource, email: string, ip: string): Promise<void> {
  const window = bind(WINDOW_SECONDS);
  const rows: { subject: string; attempts: number; window_started_at: Date }[] = await query(
    db,
    sql`INSERT INTO login_counters AS c (subject, attempts, window_started_at)
        VALUES (${emailSubject(email)}, 1, now()), (${ipSubject(ip)}, 1, now())
        ON CONFLICT (subject) DO UPDATE SET
          attempts = CASE WHEN c.window_started_at <= now() - make_interval(secs => ${window}) THEN 1
                          ELSE c.attempts + 1 END,
          window_started_at = CASE WHEN c.window_started_at <= now() - make_interval(secs => ${window}) THEN now()
                                   ELSE c.window_started_at END
        RETURNING subject, attempts, window_started_at`,
  );
  for (const row of rows) {
    const byEmail = row.subject.startsWith('email:');
    const limit = byEmail ? MAX_FAILURES_PER_EMAIL : MAX_FAILURES_PER_IP;
    if (row.attempts <= limit) continue;
    const retryAfter = Math.max(
      1,
      Math.ceil(WINDOW_SECONDS - (Date.now() - new Date(row.window_started_at).getTime()) / 1000),
    );
    throw new DomainError(
      'too_many_attempts',
      `Too many failed sign-ins for this ${byEmail ? 'account' : 'address'}; try again in ${retryAfter} seconds`,
      undefined,
      { 'Retry-After': String(retryAfter) },
    );
  }
}

/**
 * After the password was right: the account's count starts again (so its owner's earlier typos do not
 * lock them out) and the address gets its attempt back (so an office behind one address is not locked
 * out by its own successful sign-ins).
 */
export async function forgiveLoginAttempt(db: DataSource, email: string, ip: string): Promise<void> {
  await query(
    db,
    sql`WITH gone AS (DELETE FROM login_counters WHERE subject = ${emailSubject(email)})
     UPDATE login_counters SET attempts = greatest(attempts - 1, 0) WHERE subject = ${ipSubject(ip)}`,
  );
}

/** The record of attempts (who tried which account from where), kept LOGIN_ATTEMPT_RETENTION_DAYS. */
export async function recordLoginAttempt(
  db: DataSource,
  email: string,
  ip: string,
  succeeded: boolean,
): Promise<void> {
  await query(
    db,
    sql`INSERT INTO login_attempts (email, source_ip, succeeded) VALUES (${email}, ${ip}, ${succeeded})`,
  );
}
