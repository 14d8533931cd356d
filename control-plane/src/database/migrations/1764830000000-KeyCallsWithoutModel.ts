import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A key's permission to make pass-through calls that name no model (files, batches, fine-tuning,
 * stored responses, deletes): off for every key, existing ones included, until an admin turns it on.
 */
export class KeyCallsWithoutModel1764830000000 implements MigrationInterface {
  name = 'KeyCallsWithoutModel1764830000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE api_keys ADD COLUMN allow_calls_without_model boolean NOT NULL DEFAULT false');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE api_keys DROP COLUMN allow_calls_without_model');
  }
}
