import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Webhook endpoints, their deliveries, and the once-per-period budget alerts (issue 4). */
export class Webhooks1764200000000 implements MigrationInterface {
  name = 'Webhooks1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        url text NOT NULL CHECK (length(url) <= 2048),
        description text,
        events text[] NOT NULL,
        -- seal(masterKey, secret, keyVersion, id): AES-256-GCM, the webhook id as associated data
        secret_sealed text NOT NULL,
        secret_preview text NOT NULL,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        UNIQUE (org_id, id)
      )`);
    await q.query('CREATE INDEX webhooks_org_idx ON webhooks (org_id, created_at DESC, id DESC)');
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL,
        webhook_id uuid NOT NULL,
        type text NOT NULL,
        -- the exact bytes every attempt sends (and signs), so retries are byte-identical
        body text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        last_status_code integer,
        last_error text,
        attempt_log jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        delivered_at timestamptz,
        FOREIGN KEY (org_id, webhook_id) REFERENCES webhooks (org_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      'CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC, id DESC)',
    );
    await q.query(
      "CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (created_at) WHERE status = 'pending'",
    );
    // One row per (key, budget period, threshold) that fired: the unique key is what makes an alert
    // fire once across concurrent ingest batches, several control planes and restarts.
    await q.query(`
      CREATE TABLE budget_alerts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        key_id uuid NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
        period text NOT NULL,
        period_id text NOT NULL,
        threshold integer NOT NULL,
        spent_usd double precision NOT NULL,
        limit_usd double precision NOT NULL,
        fired_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        UNIQUE (key_id, period_id, threshold)
      )`);
    await q.query('CREATE INDEX budget_alerts_org_idx ON budget_alerts (org_id, fired_at DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE budget_alerts');
    await q.query('DROP TABLE webhook_deliveries');
    await q.query('DROP TABLE webhooks');
  }
}
