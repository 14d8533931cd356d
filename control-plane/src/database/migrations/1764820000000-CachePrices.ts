import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Prompt caching: a model's optional cache-write and cache-read prices (null = the provider's usual
 * multiple of the input price, see `CACHE_PRICE_MULTIPLES` in shared/src/usage.ts), and each request's
 * cache counts (part of its `input_tokens`). Constant defaults, so adding the columns rewrites nothing.
 */
export class CachePrices1764820000000 implements MigrationInterface {
  name = 'CachePrices1764820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE models
        ADD COLUMN cache_write_price_per_mtok numeric(20, 10)
          CHECK (cache_write_price_per_mtok >= 0),
        ADD COLUMN cache_read_price_per_mtok numeric(20, 10)
          CHECK (cache_read_price_per_mtok >= 0)`);
    await q.query(`
      ALTER TABLE usage_requests
        ADD COLUMN cache_creation_input_tokens bigint NOT NULL DEFAULT 0,
        ADD COLUMN cache_read_input_tokens bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE usage_requests DROP COLUMN cache_read_input_tokens, DROP COLUMN cache_creation_input_tokens',
    );
    await q.query(
      'ALTER TABLE models DROP COLUMN cache_read_price_per_mtok, DROP COLUMN cache_write_price_per_mtok',
    );
  }
}
