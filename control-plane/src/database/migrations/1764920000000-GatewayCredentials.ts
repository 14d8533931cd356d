import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each gateway's own credentials (issue 12), sealed under PORTCULLIS_MASTER_KEY with the gateway's id
 * as associated data: the secret its usage events are signed with (the control plane needs it in
 * clear to verify an HMAC, so it is encrypted, not hashed), and the password of the Redis user minted
 * for it (handed out again at each registration; Redis itself stores only its SHA-256). `redis_username`
 * is set once that user was minted (what removal deletes, and what is made again after a Redis restart).
 */
export class GatewayCredentials1764920000000 implements MigrationInterface {
  name = 'GatewayCredentials1764920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE gateways
      ADD COLUMN usage_secret_sealed text,
      ADD COLUMN redis_username text,
      ADD COLUMN redis_password_sealed text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE gateways
      DROP COLUMN usage_secret_sealed,
      DROP COLUMN redis_username,
      DROP COLUMN redis_password_sealed`);
  }
}
