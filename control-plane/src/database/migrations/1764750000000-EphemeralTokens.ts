import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ephemeral tokens: short-lived credentials delegated from an API key. Only the argon2id hash of a
 * token's secret is stored (as for keys); `token_id` is its public lookup id, in the keys' id space.
 * Rows go with their key (rotation and deletion remove them in the key's transaction) and are pruned
 * a while after they expire.
 */
export class EphemeralTokens1764750000000 implements MigrationInterface {
  name = 'EphemeralTokens1764750000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_key_ephemeral_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        api_key_id uuid NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
        token_id text NOT NULL UNIQUE,
        secret_hash text NOT NULL,
        expires_at timestamptz NOT NULL,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX api_key_ephemeral_tokens_key_idx ON api_key_ephemeral_tokens (api_key_id)');
    await q.query(
      'CREATE INDEX api_key_ephemeral_tokens_org_expiry_idx ON api_key_ephemeral_tokens (org_id, expires_at)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE api_key_ephemeral_tokens');
  }
}
