import { LIMIT_FIELDS } from '@portcullis/shared/api-keys';
import type { SnapshotCredential, SnapshotKey, SnapshotModel } from '@portcullis/shared/snapshot';
import type { EntityManager } from 'typeorm';

/**
 * Rows → snapshot wire format, in one place: the full snapshot and every delta are built by these
 * functions, so a gateway sees the same shape whichever way an object reached it.
 * `ids` narrows to some rows (deltas); without it, every row of the organization (full snapshot).
 */

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

interface KeyRow {
  id: string;
  key_id: string;
  org_id: string;
  owner_id: string;
  name: string;
  secret_hash: string | null;
  status: SnapshotKey['status'];
  expires_at: Date | null;
  last_rotated_at: Date | null;
  limits: Record<string, number | null | undefined>;
  budget: SnapshotKey['budget'];
  allowed_providers: SnapshotKey['allowedProviders'];
  allowed_models: string[];
  ip_allowlist: string[];
  metadata: Record<string, unknown>;
  mcp: SnapshotKey['mcp'];
  owner_status: SnapshotKey['ownerStatus'];
}

export async function snapshotKeys(em: EntityManager, orgId: string, ids?: string[]): Promise<SnapshotKey[]> {
  const rows: KeyRow[] = await em.query(
    `SELECT k.id, k.key_id, k.org_id, k.owner_id, k.name, k.secret_hash, k.status, k.expires_at,
            k.last_rotated_at, k.limits, k.budget, k.allowed_providers, k.allowed_models, k.ip_allowlist,
            k.metadata, k.mcp, u.status AS owner_status
       FROM api_keys k JOIN users u ON u.id = k.owner_id
      WHERE k.org_id = $1 AND k.deleted_at IS NULL ${ids ? 'AND k.id = ANY($2::uuid[])' : ''}
      ORDER BY k.id`,
    ids ? [orgId, ids] : [orgId],
  );
  return rows.map((r) => ({
    id: r.id,
    keyId: r.key_id,
    orgId: r.org_id,
    ownerId: r.owner_id,
    name: r.name,
    secretHash: r.status === 'revoked' ? null : r.secret_hash,
    status: r.status,
    expiresAt: iso(r.expires_at),
    ownerStatus: r.owner_status,
    rotatedAt: iso(r.last_rotated_at),
    limits: Object.fromEntries(LIMIT_FIELDS.map((f) => [f, r.limits[f] ?? null])) as SnapshotKey['limits'],
    budget: r.budget
      ? { limitUsd: r.budget.limitUsd, period: r.budget.period, alertThresholds: r.budget.alertThresholds }
      : null,
    allowedProviders: r.allowed_providers,
    allowedModels: r.allowed_models,
    ipAllowlist: r.ip_allowlist,
    metadata: r.metadata,
    mcp: r.mcp,
  }));
}

export interface CredentialRow {
  id: string;
  provider: SnapshotCredential['provider'];
  config: SnapshotCredential['config'];
  secret_sealed: string;
}

/** `reseal` turns the at-rest ciphertext (master key) into the gateways' (organization snapshot key). */
export async function snapshotCredentials(
  em: EntityManager,
  orgId: string,
  reseal: (row: CredentialRow) => string,
  ids?: string[],
): Promise<SnapshotCredential[]> {
  const rows: CredentialRow[] = await em.query(
    `SELECT id, provider, config, secret_sealed FROM provider_credentials
      WHERE org_id = $1 ${ids ? 'AND id = ANY($2::uuid[])' : ''} ORDER BY id`,
    ids ? [orgId, ids] : [orgId],
  );
  return rows.map((r) => ({ id: r.id, provider: r.provider, config: r.config, sealedSecret: reseal(r) }));
}

export async function snapshotModels(
  em: EntityManager,
  orgId: string,
  ids?: string[],
): Promise<SnapshotModel[]> {
  const rows: {
    id: string;
    slug: string;
    credential_id: string;
    upstream_model: string;
    input_price_per_mtok: string;
    output_price_per_mtok: string;
    enabled: boolean;
  }[] = await em.query(
    `SELECT id, slug, credential_id, upstream_model, input_price_per_mtok, output_price_per_mtok, enabled
       FROM models WHERE org_id = $1 ${ids ? 'AND id = ANY($2::uuid[])' : ''} ORDER BY id`,
    ids ? [orgId, ids] : [orgId],
  );
  return rows.map((r) => ({
    id: r.id,
    slug: r.slug,
    credentialId: r.credential_id,
    upstreamModel: r.upstream_model,
    inputPricePerMTok: Number(r.input_price_per_mtok),
    outputPricePerMTok: Number(r.output_price_per_mtok),
    enabled: r.enabled,
  }));
}
