import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage (issue 4): the raw request log, hour/day rollups, settled spend per key and UTC day, the
 * rollup watermark, and the expiry sweep's bookkeeping on api_keys.
 */
export class Usage1764100000000 implements MigrationInterface {
  name = 'Usage1764100000000';

  async up(q: QueryRunner): Promise<void> {
    // One row per usage event; `id` is the event's id, which makes ingestion idempotent. `seq` orders
    // rows by commit for the rollup watermark. No foreign keys: the consumer checks that the key
    // belongs to the organization before inserting, and keys are only ever soft-deleted.
    await q.query(`
      CREATE TABLE usage_requests (
        id uuid PRIMARY KEY,
        seq bigserial NOT NULL UNIQUE,
        org_id uuid NOT NULL,
        key_id uuid NOT NULL,
        user_id uuid NOT NULL,
        time timestamptz NOT NULL,
        method text NOT NULL,
        route text NOT NULL,
        model text,
        provider text,
        status integer NOT NULL,
        error_code text,
        input_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        cost_micro bigint NOT NULL,
        estimated boolean NOT NULL,
        aborted boolean NOT NULL,
        latency_ms double precision NOT NULL,
        source_ip text,
        user_agent text,
        gateway_id text NOT NULL,
        request_id text NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}',
        ingested_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      'CREATE INDEX usage_requests_key_time_idx ON usage_requests (org_id, key_id, time DESC, id DESC)',
    );
    // Retention deletes by age.
    await q.query('CREATE INDEX usage_requests_time_idx ON usage_requests (time)');

    // `model` is '' for requests without a model, so the unique key has no NULLs.
    await q.query(`
      CREATE TABLE usage_rollups (
        granularity text NOT NULL CHECK (granularity IN ('hour', 'day')),
        bucket_start timestamptz NOT NULL,
        org_id uuid NOT NULL,
        key_id uuid NOT NULL,
        user_id uuid NOT NULL,
        model text NOT NULL DEFAULT '',
        requests bigint NOT NULL DEFAULT 0,
        errors bigint NOT NULL DEFAULT 0,
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        cost_micro bigint NOT NULL DEFAULT 0,
        UNIQUE (granularity, bucket_start, org_id, key_id, model)
      )`);
    await q.query('CREATE INDEX usage_rollups_org_idx ON usage_rollups (org_id, granularity, bucket_start)');

    // Settled spend per key and UTC day of the events' times: any calendar-aligned budget period is a
    // sum of whole days. Written by the consumer in the same transaction as the request rows.
    await q.query(`
      CREATE TABLE usage_key_spend (
        key_id uuid NOT NULL,
        day date NOT NULL,
        org_id uuid NOT NULL,
        requests bigint NOT NULL DEFAULT 0,
        cost_micro bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (key_id, day)
      )`);

    // Watermarks and other single values (`rollup_seq`: the last usage_requests.seq rolled up).
    await q.query(`
      CREATE TABLE usage_state (
        name text PRIMARY KEY,
        value bigint NOT NULL
      )`);
    await q.query(`INSERT INTO usage_state (name, value) VALUES ('rollup_seq', 0)`);

    // The expiry sweep remembers which expiry it has processed, so a key given a new expiry that
    // passes again is processed again, and each expiry exactly once.
    await q.query('ALTER TABLE api_keys ADD COLUMN expiry_processed_for timestamptz');
    await q.query(
      `CREATE INDEX api_keys_expiry_idx ON api_keys (expires_at)
        WHERE expires_at IS NOT NULL AND deleted_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS api_keys_expiry_idx');
    await q.query('ALTER TABLE api_keys DROP COLUMN IF EXISTS expiry_processed_for');
    for (const t of ['usage_state', 'usage_key_spend', 'usage_rollups', 'usage_requests']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
