import { BUDGET_PERIODS, LIMIT_FIELDS } from '@portcullis/shared/api-keys';
import {
  EPHEMERAL_TOKEN_RETENTION_MS,
  type SnapshotCredential,
  type SnapshotEphemeralToken,
  type SnapshotKey,
  type SnapshotKeyPolicy,
  type SnapshotModel,
  type WireKey,
  type WireSnapshotWriter,
} from '@portcullis/shared/snapshot';
import { MICRO_USD, periodEnd, periodId, periodStart } from '@portcullis/shared/usage';
import type { EntityManager } from 'typeorm';
import { bind, idsIn, isoUtcText, query, rawSql, type Sql, sql } from '../database/sql';

/**
 * Rows → snapshot wire format, in one place: the full snapshot and every delta are built by these
 * functions, so a gateway sees the same shape whichever way an object reached it.
 * `ids` narrows to some rows (deltas); without it, every row of the organization (full snapshot).
 */

const isoSql = (col: string) => rawSql(isoUtcText(col));

/**
 * One key row, with its policy columns (limits, budget, allowed providers and models, IP allowlist,
 * MCP) as one canonical JSON text from Postgres: most keys share a policy, so it is parsed once per
 * distinct text, not once per key.
 */
interface KeyRow {
  id: string;
  key_id: string;
  owner_id: string;
  name: string;
  secret_hash: string | null;
  status: SnapshotKey['status'];
  expires_at: string | null;
  rotated_at: string | null;
  policy: string;
  metadata: string;
}

/**
 * The spend floor: a budgeted key's settled spend (micro-USD) in its budget's current period, summed
 * from `usage_key_spend` over the period's UTC days (`spendWindows(now)`). Part of the policy text, so keys share a policy entry only when their spend is equal too (keys
 * without a budget all have NULL here and keep sharing).
 */
const spendSql = (now: number): Sql => {
  const [periods, from, to] = spendWindows(now);
  return sql`CASE WHEN k.budget IS NULL THEN NULL ELSE (
    SELECT coalesce(sum(s.cost_micro), 0) FROM usage_key_spend s
      JOIN unnest(${periods}::text[], ${from}::date[], ${to}::date[]) AS w(period, d_from, d_to)
        ON w.period = k.budget->>'period'
     WHERE s.key_id = k.id AND s.day >= w.d_from AND s.day < w.d_to) END`;
};

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Each budget period's [first day, day after the last) at `now`, as the three arrays `spendSql` takes. */
function spendWindows(now: number): [string[], string[], string[]] {
  const periods = [...BUDGET_PERIODS];
  return [
    periods,
    periods.map((p) => utcDay(periodStart(p, now))),
    periods.map((p) => {
      const end = periodEnd(p, now);
      return Number.isFinite(end) ? utcDay(end) : '9999-12-31';
    }),
  ];
}

const keyColumns = (now: number): Sql => sql`k.id, k.key_id, k.owner_id, k.name,
  CASE WHEN k.status = 'revoked' THEN NULL ELSE k.secret_hash END AS secret_hash,
  k.status, ${isoSql('k.expires_at')} AS expires_at, ${isoSql('k.last_rotated_at')} AS rotated_at,
  jsonb_build_array(k.limits, k.budget, k.allowed_providers, k.allowed_models, k.ip_allowlist, k.mcp,
    ${spendSql(now)}, k.allow_calls_without_model)::text AS policy,
  k.metadata::text AS metadata`;

/**
 * An owner's status in one organization: suspended when their account is (users.status) or their
 * membership of this organization is; an owner who is no longer a member counts as suspended (their
 * keys are deleted with the membership, so this only guards against a key outliving it).
 */
const OWNER_STATUS_SQL = sql`CASE WHEN u.status = 'active'
    AND m.status = 'active' THEN 'active' ELSE 'suspended' END`;

/** Some keys with their owner's status, in one round trip (deltas, inside the change's transaction). */
function keyRowsById(
  em: EntityManager,
  orgId: string,
  ids: string[],
  now: number,
): Promise<(KeyRow & { owner_status: SnapshotKey['ownerStatus'] })[]> {
  return query(
    em,
    sql`SELECT ${keyColumns(now)}, ${OWNER_STATUS_SQL} AS owner_status
          FROM api_keys k JOIN users u ON u.id = k.owner_id
          LEFT JOIN memberships m ON m.org_id = k.org_id AND m.user_id = k.owner_id
         WHERE k.org_id = ${orgId} AND k.deleted_at IS NULL AND k.id = ANY(${ids}::uuid[])
         ORDER BY k.id`,
  );
}

type PolicyColumns = [
  Record<string, number | null | undefined>,
  SnapshotKey['budget'],
  SnapshotKey['allowedProviders'],
  string[],
  string[],
  SnapshotKey['mcp'],
  spentMicro: number | null,
  allowCallsWithoutModel: boolean,
];

function policyOf(text: string, now: number): SnapshotKeyPolicy {
  const [limits, budget, allowedProviders, allowedModels, ipAllowlist, mcp, spentMicro, withoutModel] =
    JSON.parse(text) as PolicyColumns;
  return {
    limits: Object.fromEntries(LIMIT_FIELDS.map((f) => [f, limits[f] ?? null])) as SnapshotKey['limits'],
    budget: budget
      ? {
          limitUsd: budget.limitUsd,
          period: budget.period,
          alertThresholds: budget.alertThresholds,
          spentUsd: (spentMicro ?? 0) / MICRO_USD,
          spentPeriod: periodId(budget.period, now),
        }
      : null,
    allowedProviders,
    allowedModels,
    ipAllowlist,
    mcp,
    allowCallsWithoutModel: withoutModel === true,
  };
}

/** Keys as whole objects (deltas). */
export async function snapshotKeys(em: EntityManager, orgId: string, ids: string[]): Promise<SnapshotKey[]> {
  const now = Date.now();
  const rows = await keyRowsById(em, orgId, ids, now);
  return rows.map((r) => {
    const p = policyOf(r.policy, now);
    return {
      id: r.id,
      keyId: r.key_id,
      orgId,
      ownerId: r.owner_id,
      name: r.name,
      secretHash: r.secret_hash,
      status: r.status,
      expiresAt: r.expires_at,
      ownerStatus: r.owner_status,
      rotatedAt: r.rotated_at,
      limits: p.limits,
      budget: p.budget,
      allowedProviders: p.allowedProviders,
      allowedModels: p.allowedModels,
      ipAllowlist: p.ipAllowlist,
      metadata: JSON.parse(r.metadata) as Record<string, unknown>,
      mcp: p.mcp,
      allowCallsWithoutModel: p.allowCallsWithoutModel ?? false,
    };
  });
}

/**
 * Every key of the organization as wire tuples, their policies, owners and metadata added to `writer`
 * (full snapshot; call inside a REPEATABLE READ transaction). Owners come from a second query rather
 * than a join: at 100,000 keys the join costs more than the rest of the build (and right after a bulk
 * load, with stale statistics, the planner hashes the big side). No ORDER BY: gateways index by id.
 */
export async function wireKeys(
  em: EntityManager,
  orgId: string,
  writer: WireSnapshotWriter,
): Promise<WireKey[]> {
  const org = bind(orgId);
  const owners: { id: string; status: SnapshotKey['ownerStatus'] }[] = await query(
    em,
    sql`SELECT u.id, ${OWNER_STATUS_SQL} AS status FROM users u
          LEFT JOIN memberships m ON m.org_id = ${org} AND m.user_id = u.id
         WHERE EXISTS (SELECT 1 FROM api_keys k WHERE k.owner_id = u.id AND k.org_id = ${org}
           AND k.deleted_at IS NULL)`,
  );
  const ownerIndex = new Map(owners.map((o) => [o.id, writer.owner(o.id, o.status)]));
  const now = Date.now();
  const rows: KeyRow[] = await query(
    em,
    sql`SELECT ${keyColumns(now)} FROM api_keys k WHERE k.org_id = ${orgId} AND k.deleted_at IS NULL`,
  );
  const keys = new Array<WireKey>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as KeyRow;
    const owner = ownerIndex.get(r.owner_id);
    // The foreign key makes this impossible; fail the build rather than send a key without its owner.
    if (owner === undefined) throw new Error(`snapshots: key ${r.id} has no owner row`);
    keys[i] = [
      r.id,
      r.key_id,
      r.name,
      r.secret_hash,
      r.status,
      r.expires_at,
      r.rotated_at,
      owner,
      writer.policyByText(r.policy, () => policyOf(r.policy, now)),
      writer.metadataByText(r.metadata, () => JSON.parse(r.metadata) as Record<string, unknown>),
    ];
  }
  return keys;
}

/**
 * Outstanding ephemeral tokens of the organization's keys (full snapshot), or some of them by token
 * record id (deltas). Tokens of deleted keys never travel; tokens expired longer ago than the retention
 * window are pruned here, so they do not pile up in snapshots (gateways drop them by the same rule).
 */
export async function snapshotEphemeralTokens(
  em: EntityManager,
  orgId: string,
  ids?: string[],
): Promise<SnapshotEphemeralToken[]> {
  const org = bind(orgId);
  const rows: {
    id: string;
    token_id: string;
    api_key_id: string;
    secret_hash: string;
    expires_at: string;
  }[] = await query(
    em,
    sql`SELECT t.id, t.token_id, t.api_key_id, t.secret_hash, ${isoSql('t.expires_at')} AS expires_at
          FROM api_key_ephemeral_tokens t JOIN api_keys k ON k.id = t.api_key_id
         WHERE t.org_id = ${org} AND k.org_id = ${org} AND k.deleted_at IS NULL
           AND t.expires_at > now() - make_interval(secs => ${EPHEMERAL_TOKEN_RETENTION_MS}::double precision / 1000)
           ${idsIn('t.id', ids)}
         ORDER BY t.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    tokenId: r.token_id,
    apiKeyId: r.api_key_id,
    secretHash: r.secret_hash,
    expiresAt: r.expires_at,
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
  const rows: CredentialRow[] = await query(
    em,
    sql`SELECT id, provider, config, secret_sealed FROM provider_credentials
         WHERE org_id = ${orgId} ${idsIn('id', ids)} ORDER BY id`,
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
    cache_write_price_per_mtok: string | null;
    cache_read_price_per_mtok: string | null;
    enabled: boolean;
  }[] = await query(
    em,
    sql`SELECT id, slug, credential_id, upstream_model, input_price_per_mtok, output_price_per_mtok,
               cache_write_price_per_mtok, cache_read_price_per_mtok, enabled
          FROM models WHERE org_id = ${orgId} ${idsIn('id', ids)} ORDER BY id`,
  );
  return rows.map((r) => ({
    id: r.id,
    slug: r.slug,
    credentialId: r.credential_id,
    upstreamModel: r.upstream_model,
    inputPricePerMTok: Number(r.input_price_per_mtok),
    outputPricePerMTok: Number(r.output_price_per_mtok),
    cacheWritePricePerMTok:
      r.cache_write_price_per_mtok === null ? null : Number(r.cache_write_price_per_mtok),
    cacheReadPricePerMTok: r.cache_read_price_per_mtok === null ? null : Number(r.cache_read_price_per_mtok),
    enabled: r.enabled,
  }));
}
