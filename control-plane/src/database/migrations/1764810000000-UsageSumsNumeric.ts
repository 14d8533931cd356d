import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage sums that cannot overflow (issue 11). Each event's tokens and cost are bounded
 * (`USAGE_EVENT_LIMITS`), so a request row's bigint columns always fit; but sums of many events did
 * not: a key's lifetime `spent_usd` (numeric(20,8), under $10^12) and the per-day and rollup sums of
 * cost and tokens (bigint) would fail the ingesting transaction once enough maximal events arrived,
 * stalling ingestion for everyone. They become `numeric` (exact, no practical bound). Request and
 * error counts stay bigint: each event adds one, and 2^63 events is beyond any rate for ever.
 * Rewrites these tables once (api_keys, usage_key_spend, usage_rollups) under an exclusive lock.
 */
export class UsageSumsNumeric1764810000000 implements MigrationInterface {
  name = 'UsageSumsNumeric1764810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE api_keys ALTER COLUMN spent_usd TYPE numeric');
    await q.query('ALTER TABLE usage_key_spend ALTER COLUMN cost_micro TYPE numeric');
    await q.query(`
      ALTER TABLE usage_rollups
        ALTER COLUMN input_tokens TYPE numeric,
        ALTER COLUMN output_tokens TYPE numeric,
        ALTER COLUMN cost_micro TYPE numeric`);
  }

  /** Fails (numeric out of range) if a sum has outgrown the old types: nothing is silently cut. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE usage_rollups
        ALTER COLUMN input_tokens TYPE bigint,
        ALTER COLUMN output_tokens TYPE bigint,
        ALTER COLUMN cost_micro TYPE bigint`);
    await q.query('ALTER TABLE usage_key_spend ALTER COLUMN cost_micro TYPE bigint');
    await q.query('ALTER TABLE api_keys ALTER COLUMN spent_usd TYPE numeric(20, 8)');
  }
}
