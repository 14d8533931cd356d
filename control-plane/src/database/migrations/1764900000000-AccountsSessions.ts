import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in throttling counts each attempt before the password is checked, in one upsert per subject
 * (`email:<address>`, `ip:<address>`) over a fixed 15-minute window, so parallel attempts cannot all
 * read the same count. Organizations remember who created them (the per-user cap counts those), and
 * the prune job finds expired sessions and old attempts by index.
 */
export class AccountsSessions1764900000000 implements MigrationInterface {
  name = 'AccountsSessions1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE login_counters (
      subject text PRIMARY KEY,
      attempts integer NOT NULL,
      window_started_at timestamptz NOT NULL
    )`);
    await q.query('CREATE INDEX login_counters_window_idx ON login_counters (window_started_at)');
    await q.query(
      'ALTER TABLE organizations ADD COLUMN created_by uuid REFERENCES users (id) ON DELETE SET NULL',
    );
    await q.query('CREATE INDEX organizations_created_by_idx ON organizations (created_by)');
    await q.query('CREATE INDEX sessions_expires_idx ON sessions (expires_at)');
    await q.query('CREATE INDEX login_attempts_created_idx ON login_attempts (created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX login_attempts_created_idx');
    await q.query('DROP INDEX sessions_expires_idx');
    await q.query('ALTER TABLE organizations DROP COLUMN created_by');
    await q.query('DROP TABLE login_counters');
  }
}
