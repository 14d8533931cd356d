import type { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';

const WINDOW_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_IP = 20;

/**
 * Failed sign-ins are limited per email (failures since its last success) and per source IP, over a
 * sliding 15-minute window kept in Postgres so that every control-plane instance sees the same count.
 */
export async function assertLoginAllowed(db: DataSource, email: string, ip: string): Promise<void> {
  const rows: { by: 'email' | 'ip'; failures: string; oldest: Date | null }[] = await db.query(
    `SELECT 'email' AS by, count(*) AS failures, min(created_at) AS oldest FROM login_attempts
      WHERE email = $1 AND NOT succeeded
        AND created_at > greatest(now() - make_interval(secs => $3),
          coalesce((SELECT max(created_at) FROM login_attempts WHERE email = $1 AND succeeded), '-infinity'))
     UNION ALL
     SELECT 'ip', count(*), min(created_at) FROM login_attempts
      WHERE source_ip = $2 AND NOT succeeded AND created_at > now() - make_interval(secs => $3)`,
    [email, ip, WINDOW_SECONDS],
  );
  for (const row of rows) {
    const limit = row.by === 'email' ? MAX_FAILURES_PER_EMAIL : MAX_FAILURES_PER_IP;
    if (Number(row.failures) >= limit && row.oldest) {
      const retryAfter = Math.max(
        1,
        Math.ceil(WINDOW_SECONDS - (Date.now() - new Date(row.oldest).getTime()) / 1000),
      );
      throw new DomainError(
        'too_many_attempts',
        `Too many failed sign-ins for this ${row.by === 'email' ? 'account' : 'address'}; try again in ${retryAfter} seconds`,
        undefined,
        { 'Retry-After': String(retryAfter) },
      );
    }
  }
}

export async function recordLoginAttempt(
  db: DataSource,
  email: string,
  ip: string,
  succeeded: boolean,
): Promise<void> {
  await db.query('INSERT INTO login_attempts (email, source_ip, succeeded) VALUES ($1, $2, $3)', [
    email,
    ip,
    succeeded,
  ]);
}
