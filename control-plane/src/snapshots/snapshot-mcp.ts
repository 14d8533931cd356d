import type { SnapshotMcpServer } from '@portcullis/shared/snapshot';
import type { EntityManager } from 'typeorm';
import { idsIn, query, sql } from '../database/sql';

/** An MCP server row as the snapshot needs it; `headers_sealed` is under the master key. */
export interface McpServerSecretRow {
  id: string;
  headers_sealed: string;
}

/**
 * MCP servers in the snapshot wire format (full snapshot, or some `ids` for a delta). `reseal` turns the
 * at-rest ciphertext of the secret headers (master key) into the gateways' (organization snapshot key).
 */
export async function snapshotMcpServers(
  em: EntityManager,
  orgId: string,
  reseal: (row: McpServerSecretRow) => string,
  ids?: string[],
): Promise<SnapshotMcpServer[]> {
  const rows: { id: string; name: string; url: string; headers_sealed: string | null; enabled: boolean }[] =
    await query(
      em,
      sql`SELECT id, name, url, headers_sealed, enabled FROM mcp_servers
           WHERE org_id = ${orgId} ${idsIn('id', ids)} ORDER BY id`,
    );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    url: r.url,
    sealedHeaders: r.headers_sealed === null ? null : reseal({ id: r.id, headers_sealed: r.headers_sealed }),
    enabled: r.enabled,
  }));
}
