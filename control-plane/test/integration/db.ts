import pg from 'pg';
import { inject } from 'vitest';

/** Direct database access for checks a user cannot make (hashes at rest, tampering, no-change). */
export async function withDb<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fingerprint of everything a mutation could touch in one org, to prove a refused request changed nothing. */
export function orgFingerprint(orgId: string): Promise<string> {
  return withDb(async (c) => {
    const r = await c.query(
      `SELECT
         (SELECT count(*) FROM api_keys WHERE org_id = $1) AS keys,
         (SELECT coalesce(max(updated_at)::text, '') FROM api_keys WHERE org_id = $1) AS keys_updated,
         (SELECT md5(coalesce(string_agg(k::text, ',' ORDER BY k.id), '')) FROM api_keys k WHERE org_id = $1) AS keys_hash,
         (SELECT audit_head_seq || ':' || snapshot_version FROM organizations WHERE id = $1) AS heads,
         (SELECT count(*) FROM memberships WHERE org_id = $1) AS members,
         (SELECT count(*) FROM invitations WHERE org_id = $1) AS invitations,
         (SELECT md5(coalesce(string_agg(c::text, ',' ORDER BY c.id), '')) FROM provider_credentials c WHERE org_id = $1) AS credentials,
         (SELECT md5(coalesce(string_agg(m::text, ',' ORDER BY m.id), '')) FROM models m WHERE org_id = $1) AS models,
         (SELECT md5(coalesce(string_agg(g.id || g.name || g.token_hash, ',' ORDER BY g.id), '')) FROM gateways g WHERE org_id = $1) AS gateways,
         (SELECT count(*) FROM snapshot_outbox WHERE org_id = $1) AS outbox`,
      [orgId],
    );
    return JSON.stringify(r.rows[0]);
  });
}
