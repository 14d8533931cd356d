import type { MigrationInterface, QueryRunner } from 'typeorm';

/** MCP servers the gateways proxy at `/mcp/:name`. */
export class McpServers1764300000000 implements MigrationInterface {
  name = 'McpServers1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mcp_servers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
        url text NOT NULL,
        description text,
        -- seal(masterKey, JSON of the secret headers, keyVersion, id); null when there are none
        headers_sealed text,
        header_names text[] NOT NULL DEFAULT '{}',
        tools jsonb NOT NULL DEFAULT '[]',
        enabled boolean NOT NULL DEFAULT true,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        UNIQUE (org_id, name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS mcp_servers');
  }
}
