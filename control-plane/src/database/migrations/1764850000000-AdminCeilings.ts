import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What an admin set on a key is a ceiling for its member owner (`admin_ceiling`: only the restrictions
 * some admin wrote), a key an admin deactivated stays inactive until an admin activates it, and the
 * organization caps the MCP access members may give their own keys (`default_mcp_policy`).
 *
 * Keys created before this by someone other than their owner were made by an admin for a member:
 * their restrictions as they stand become the ceiling, so nothing an admin set then can be loosened now.
 */
export class AdminCeilings1764850000000 implements MigrationInterface {
  name = 'AdminCeilings1764850000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys
      ADD COLUMN admin_ceiling jsonb,
      ADD COLUMN deactivated_by_admin boolean NOT NULL DEFAULT false`);
    await q.query(`UPDATE api_keys SET admin_ceiling = jsonb_build_object(
        'limits', limits,
        'budget', CASE WHEN budget IS NULL THEN 'null'::jsonb
                       ELSE jsonb_build_object('limitUsd', budget->'limitUsd', 'period', budget->'period') END,
        'allowedProviders', allowed_providers,
        'allowedModels', allowed_models,
        'ipAllowlist', ip_allowlist,
        'expiresAt', CASE WHEN expires_at IS NULL THEN 'null'::jsonb
                          ELSE to_jsonb(to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) END,
        'mcp', mcp)
      WHERE created_by IS DISTINCT FROM owner_id AND deleted_at IS NULL`);
    await q.query(
      `ALTER TABLE org_settings ADD COLUMN default_mcp_policy jsonb NOT NULL DEFAULT '{"mode":"all","servers":[]}'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE org_settings DROP COLUMN default_mcp_policy');
    await q.query('ALTER TABLE api_keys DROP COLUMN admin_ceiling, DROP COLUMN deactivated_by_admin');
  }
}
