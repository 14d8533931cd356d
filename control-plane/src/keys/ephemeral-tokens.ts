import { EPHEMERAL_TOKEN_RETENTION_MS } from '@portcullis/shared/snapshot';
import type { EntityManager } from 'typeorm';
import { execute, query, queryOne, sql } from '../database/sql';

/**
 * Storage of ephemeral tokens (short-lived credentials delegated from a key; see
 * `CreateEphemeralTokenSchema` in shared/api-keys.ts). Rows hold the argon2id hash of the token's secret,
 * never the token. The callers hold the parent key's row lock, so minting, rotating and deleting one
 * key's tokens are serialized.
 */

/** When a token asked for `seconds` at `now` expires: never after its parent key. */
export function ephemeralTokenExpiry(now: number, seconds: number, parentExpiresAt: Date | null): Date {
  const wanted = now + seconds * 1000;
  const parent = parentExpiresAt ? parentExpiresAt.getTime() : Number.POSITIVE_INFINITY;
  return new Date(Math.min(wanted, parent));
}

export async function insertEphemeralToken(
  em: EntityManager,
  row: {
    orgId: string;
    apiKeyId: string;
    tokenId: string;
    secretHash: string;
    expiresAt: Date;
    createdBy: string;
  },
): Promise<string> {
  const id = (
    await queryOne<{ id: string }>(
      em,
      sql`INSERT INTO api_key_ephemeral_tokens (org_id, api_key_id, token_id, secret_hash, expires_at,
          created_by)
          VALUES (${row.orgId}, ${row.apiKeyId}, ${row.tokenId}, ${row.secretHash}, ${row.expiresAt},
            ${row.createdBy})
          RETURNING id`,
    )
  )?.id;
  if (!id) throw new Error('keys: the ephemeral token was not stored');
  return id;
}

/** Drops every token of a key (rotation, deletion); true when there was any. */
export async function dropEphemeralTokens(
  em: EntityManager,
  orgId: string,
  apiKeyId: string,
): Promise<boolean> {
  const gone = await query<unknown>(
    em,
    sql`WITH gone AS (
          DELETE FROM api_key_ephemeral_tokens WHERE org_id = ${orgId} AND api_key_id = ${apiKeyId}
            RETURNING 1
        ) SELECT 1 FROM gone LIMIT 1`,
  );
  return gone.length > 0;
}

/**
 * Deletes the organization's tokens that expired longer ago than the retention window. Snapshots and
 * gateways already ignore them; this keeps the table from growing. Needs no snapshot change.
 */
export async function pruneEphemeralTokens(em: EntityManager, orgId: string): Promise<void> {
  await execute(
    em,
    sql`DELETE FROM api_key_ephemeral_tokens
         WHERE org_id = ${orgId}
           AND expires_at < now() - make_interval(secs => ${EPHEMERAL_TOKEN_RETENTION_MS}::double precision / 1000)`,
  );
}
