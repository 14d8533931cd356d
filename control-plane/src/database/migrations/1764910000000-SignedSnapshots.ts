import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The fleet trusts only the control plane: one Ed25519 signing key for the whole control plane (every
 * instance signs with the same key, so one table row), its private half sealed under
 * PORTCULLIS_MASTER_KEY and never anywhere in clear; and a generation number for each organization's
 * snapshot sealing key, which moves when the key is rotated (a gateway was removed). Sealed values
 * carry the generation as their version (`v<n>.…`), so a gateway knows which key opens them.
 */
export class SignedSnapshots1764910000000 implements MigrationInterface {
  name = 'SignedSnapshots1764910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE control_plane_signing_keys (
      id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
      public_key text NOT NULL,
      private_key_sealed text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query('ALTER TABLE organizations ADD COLUMN snapshot_key_version integer NOT NULL DEFAULT 1');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE organizations DROP COLUMN snapshot_key_version');
    await q.query('DROP TABLE control_plane_signing_keys');
  }
}
