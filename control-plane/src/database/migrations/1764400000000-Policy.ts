import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * People's policy: groups and their members, model access grants, per-user and per-group limits and
 * budgets, and the organization's settings. Everything that names a user hangs off the membership
 * (org, user), so leaving an organization drops the user's policy there and nowhere else.
 */
export class Policy1764400000000 implements MigrationInterface {
  name = 'Policy1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE groups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name text NOT NULL,
        -- { requestsPerMinute, tokensPerMinute, inputTokensPerMinute, outputTokensPerMinute, concurrentRequests }
        limits jsonb NOT NULL DEFAULT '{}',
        -- [{ limitUsd, period, alertThresholds }]
        budgets jsonb NOT NULL DEFAULT '[]',
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query('CREATE UNIQUE INDEX groups_org_name_key ON groups (org_id, lower(name))');
    await q.query(`
      CREATE TABLE group_members (
        group_id uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        org_id uuid NOT NULL,
        user_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        PRIMARY KEY (group_id, user_id),
        FOREIGN KEY (org_id, user_id) REFERENCES memberships(org_id, user_id) ON DELETE CASCADE
      )`);
    await q.query('CREATE INDEX group_members_user_idx ON group_members (org_id, user_id)');
    await q.query(`
      CREATE TABLE user_policies (
        org_id uuid NOT NULL,
        user_id uuid NOT NULL,
        limits jsonb NOT NULL DEFAULT '{}',
        budgets jsonb NOT NULL DEFAULT '[]',
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        PRIMARY KEY (org_id, user_id),
        FOREIGN KEY (org_id, user_id) REFERENCES memberships(org_id, user_id) ON DELETE CASCADE
      )`);
    await q.query(`
      CREATE TABLE user_model_grants (
        org_id uuid NOT NULL,
        user_id uuid NOT NULL,
        model text NOT NULL,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        PRIMARY KEY (org_id, user_id, model),
        FOREIGN KEY (org_id, user_id) REFERENCES memberships(org_id, user_id) ON DELETE CASCADE
      )`);
    await q.query(`
      CREATE TABLE group_model_grants (
        group_id uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        model text NOT NULL,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        PRIMARY KEY (group_id, model)
      )`);
    await q.query(`
      CREATE TABLE org_settings (
        org_id uuid PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
        model_access_without_grants text NOT NULL DEFAULT 'none'
          CHECK (model_access_without_grants IN ('none', 'all')),
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'org_settings',
      'group_model_grants',
      'user_model_grants',
      'user_policies',
      'group_members',
      'groups',
    ])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
