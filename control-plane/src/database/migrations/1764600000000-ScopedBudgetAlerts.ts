import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Budget alerts for user and group budgets too (issue 5): an alert row names its scope (`key`, `user`,
 * `group`) and the scope's id, and "once" is per (organization, scope, id, period, threshold): a user's
 * budgets are per organization. `key_id` stays for key alerts (null for the others); user and group
 * rows go with the user or group.
 */
export class ScopedBudgetAlerts1764600000000 implements MigrationInterface {
  name = 'ScopedBudgetAlerts1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE budget_alerts
        ADD COLUMN scope text NOT NULL DEFAULT 'key' CHECK (scope IN ('key', 'user', 'group')),
        ADD COLUMN scope_id uuid,
        ADD COLUMN user_id uuid REFERENCES users(id) ON DELETE CASCADE,
        ADD COLUMN group_id uuid REFERENCES groups(id) ON DELETE CASCADE,
        ALTER COLUMN key_id DROP NOT NULL`);
    await q.query('UPDATE budget_alerts SET scope_id = key_id');
    await q.query('ALTER TABLE budget_alerts ALTER COLUMN scope_id SET NOT NULL');
    await q.query(`
      ALTER TABLE budget_alerts
        ADD CONSTRAINT budget_alerts_scope_ref CHECK (
          (scope = 'key' AND key_id = scope_id) OR (scope = 'user' AND user_id = scope_id)
          OR (scope = 'group' AND group_id = scope_id))`);
    await q.query('ALTER TABLE budget_alerts DROP CONSTRAINT budget_alerts_key_id_period_id_threshold_key');
    await q.query(`
      ALTER TABLE budget_alerts ADD CONSTRAINT budget_alerts_once
        UNIQUE (org_id, scope, scope_id, period_id, threshold)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM budget_alerts WHERE scope <> 'key'`);
    await q.query('ALTER TABLE budget_alerts DROP CONSTRAINT budget_alerts_once');
    await q.query('ALTER TABLE budget_alerts DROP CONSTRAINT budget_alerts_scope_ref');
    await q.query(`
      ALTER TABLE budget_alerts
        ALTER COLUMN key_id SET NOT NULL,
        DROP COLUMN group_id, DROP COLUMN user_id, DROP COLUMN scope_id, DROP COLUMN scope`);
    await q.query(
      'ALTER TABLE budget_alerts ADD CONSTRAINT budget_alerts_key_id_period_id_threshold_key UNIQUE (key_id, period_id, threshold)',
    );
  }
}
