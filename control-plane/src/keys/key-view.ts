import {
  type ApiKey,
  type KeyStatus,
  LIMIT_FIELDS,
  type Limits,
  normalizeMcpPolicy,
} from '@portcullis/shared/api-keys';
import { displayPrefix } from '@portcullis/shared/keys';
import type { EffectivePolicyView, KeyDetail } from '@portcullis/shared/policy';
import type { ApiKeyEntity, StoredKeyStatus } from './api-key.entity';

/** `expired` is derived: revoked stays revoked; any other key past its expiry is expired. */
export function deriveStatus(
  stored: StoredKeyStatus,
  expiresAt: Date | null,
  now: Date = new Date(),
): KeyStatus {
  if (stored === 'revoked') return 'revoked';
  if (expiresAt && expiresAt.getTime() <= now.getTime()) return 'expired';
  return stored;
}

/** The same rule in SQL, for filtering and sorting (`k` is the api_keys alias). */
export const STATUS_SQL = `CASE WHEN k.status = 'revoked' THEN 'revoked'
  WHEN k.expires_at IS NOT NULL AND k.expires_at <= now() THEN 'expired' ELSE k.status END`;

export interface KeyOwner {
  id: string;
  email: string;
  name: string;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/**
 * `periodSpentUsd`: settled spend of the budget's current period (see SpendService), 0 when none.
 * `usageShare` is this key's requests over all the organization's live keys' requests.
 */
export function toApiKey(
  k: ApiKeyEntity,
  owner: KeyOwner | null,
  orgRequestTotal: number,
  periodSpentUsd = 0,
): ApiKey {
  const requestCount = Number(k.requestCount);
  return {
    id: k.id,
    name: k.name,
    ownerId: k.ownerId,
    owner,
    prefix: displayPrefix(k.keyId),
    status: deriveStatus(k.status, k.expiresAt ? new Date(k.expiresAt) : null),
    expiresAt: iso(k.expiresAt),
    lastUsedAt: iso(k.lastUsedAt),
    lastRotatedAt: iso(k.lastRotatedAt),
    createdAt: new Date(k.createdAt).toISOString(),
    updatedAt: new Date(k.updatedAt).toISOString(),
    requestCount,
    usageShare: orgRequestTotal > 0 ? Math.min(1, requestCount / orgRequestTotal) : 0,
    limits: Object.fromEntries(LIMIT_FIELDS.map((f) => [f, k.limits[f] ?? null])) as unknown as Limits,
    budget: k.budget ? { ...k.budget, spentUsd: periodSpentUsd } : null,
    allowedProviders: k.allowedProviders,
    allowedModels: k.allowedModels,
    ipAllowlist: k.ipAllowlist,
    metadata: k.metadata,
    mcp: normalizeMcpPolicy(k.mcp),
    adminRestrictions: k.adminCeiling ?? null,
    deactivatedByAdmin: k.deactivatedByAdmin ?? false,
    allowCallsWithoutModel: k.allowCallsWithoutModel,
  };
}

/**
 * The key detail view: the key as stored plus `effective`, the policy gateways hold it to (per limit
 * the strictest of the key, its owner and the owner's groups with the rule that set it; the models it
 * may use; every budget cap that applies). See `effectivePolicy` in shared/policy.ts.
 */
export const withEffective = (key: ApiKey, effective: EffectivePolicyView): KeyDetail => ({
  ...key,
  effective,
});
