import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * People (issue 5): suspension is per organization (a membership status; the user row's own status
 * stays the account-wide switch), and invitation mail bookkeeping. While a mail is pending its link is
 * kept sealed under the master key (never in clear, never in Redis) and cleared once the mail is sent,
 * has failed for good, or the invitation is replaced or accepted.
 */
export class People1764500000000 implements MigrationInterface {
  name = 'People1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE memberships
        ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        ADD COLUMN suspended_at timestamptz`);
    await q.query(`
      ALTER TABLE invitations
        ADD COLUMN mail_status text CHECK (mail_status IN ('queued', 'sent', 'failed')),
        ADD COLUMN mail_link_sealed text,
        ADD COLUMN mail_attempts integer NOT NULL DEFAULT 0,
        ADD COLUMN mail_error text,
        ADD COLUMN mail_sent_at timestamptz`);
    // The users list shows pending invitations next to members.
    await q.query(
      `CREATE INDEX invitations_org_pending_idx ON invitations (org_id, email)
        WHERE accepted_at IS NULL AND revoked_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS invitations_org_pending_idx');
    await q.query(`
      ALTER TABLE invitations
        DROP COLUMN IF EXISTS mail_status, DROP COLUMN IF EXISTS mail_link_sealed,
        DROP COLUMN IF EXISTS mail_attempts, DROP COLUMN IF EXISTS mail_error,
        DROP COLUMN IF EXISTS mail_sent_at`);
    await q.query('ALTER TABLE memberships DROP COLUMN IF EXISTS status, DROP COLUMN IF EXISTS suspended_at');
  }
}
