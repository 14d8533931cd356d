import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Provider credentials, the model catalog, gateways and the snapshot outbox (issue 3). */
export class ProvidersModelsGateways1764000000000 implements MigrationInterface {
  name = 'ProvidersModelsGateways1764000000000';

  async up(q: QueryRunner): Promise<void> {
    // The per-organization snapshot key (32 random bytes) sealed under PORTCULLIS_MASTER_KEY; created
    // the first time a credential is stored or a gateway registers.
    await q.query('ALTER TABLE organizations ADD COLUMN snapshot_key_sealed text');
    await q.query(`
      CREATE TABLE provider_credentials (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name text NOT NULL,
        provider text NOT NULL
          CHECK (provider IN ('openai', 'azure_openai', 'anthropic', 'gemini', 'openai_compatible')),
        config jsonb NOT NULL DEFAULT '{}',
        -- seal(masterKey, secret, keyVersion, id): AES-256-GCM, the credential id as associated data
        secret_sealed text NOT NULL,
        secret_preview text NOT NULL,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        UNIQUE (org_id, name),
        UNIQUE (org_id, id)
      )`);
    await q.query(`
      CREATE TABLE models (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        slug text NOT NULL,
        credential_id uuid NOT NULL,
        upstream_model text NOT NULL,
        input_price_per_mtok numeric(20, 10) NOT NULL CHECK (input_price_per_mtok >= 0),
        output_price_per_mtok numeric(20, 10) NOT NULL CHECK (output_price_per_mtok >= 0),
        enabled boolean NOT NULL DEFAULT true,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        UNIQUE (org_id, slug),
        -- the composite key makes a model pointing at another organization's credential impossible
        FOREIGN KEY (org_id, credential_id) REFERENCES provider_credentials (org_id, id)
      )`);
    await q.query('CREATE INDEX models_credential_idx ON models (credential_id)');
    await q.query(`
      CREATE TABLE gateways (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        last_seen_at timestamptz,
        snapshot_version bigint,
        instance_id text,
        version text,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        UNIQUE (org_id, name)
      )`);
    await q.query(`
      CREATE TABLE snapshot_outbox (
        id bigserial PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        from_version bigint NOT NULL,
        to_version bigint NOT NULL,
        changes jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await q.query(
      'CREATE INDEX snapshot_outbox_pending_idx ON snapshot_outbox (id) WHERE published_at IS NULL',
    );
    await q.query(
      'CREATE INDEX snapshot_outbox_org_pending_idx ON snapshot_outbox (org_id, from_version) WHERE published_at IS NULL',
    );
    await q.query(
      'CREATE INDEX snapshot_outbox_published_idx ON snapshot_outbox (published_at) WHERE published_at IS NOT NULL',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['snapshot_outbox', 'gateways', 'models', 'provider_credentials']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
    await q.query('ALTER TABLE organizations DROP COLUMN IF EXISTS snapshot_key_sealed');
  }
}
