import { z } from 'zod';
import { BUDGET_PERIODS, LimitValuesSchema, MCP_MODES, PROVIDERS } from './api-keys';
import { DefaultMcpPolicySchema, ORG_ROLES, OrgSettingsSchema, POLICY_BUDGET_PERIODS } from './policy';

/**
 * The snapshot wire format: what the control plane sends gateways (full snapshot over HTTP, deltas
 * and heartbeats over Redis pub/sub). One schema, used by the control plane to build, by the gateway
 * to validate at its edge.
 *
 * Nothing here is a plaintext secret: keys and ephemeral tokens carry their argon2id hash; provider
 * secrets travel as AES-256-GCM ciphertext under the organization's snapshot key (see crypto.ts).
 */
const BudgetPart = z
  .object({
    limitUsd: z.number(),
    period: z.enum(BUDGET_PERIODS),
    alertThresholds: z.array(z.number()),
    /**
     * Settled spend of the period `spentPeriod` (see `periodId` in usage.ts) as the control plane had
     * counted it when it built this snapshot: a floor under the fleet's live counter in Redis, so a
     * Redis that lost its data cannot re-open a spent budget. Absent: no floor.
     */
    spentUsd: z.number().nonnegative().optional(),
    spentPeriod: z.string().optional(),
  })
  .nullable();
const McpPart = z.object({
  enabled: z.boolean(),
  mode: z.enum(MCP_MODES),
  servers: z.array(z.string()),
  tools: z.record(z.string(), z.array(z.string())),
  /** Resource URI patterns and prompt names per server; absent means `{}`. */
  resources: z.record(z.string(), z.array(z.string())).optional(),
  prompts: z.record(z.string(), z.array(z.string())).optional(),
});
const KEY_STATES = ['active', 'inactive', 'revoked'] as const;
const OWNER_STATES = ['active', 'suspended'] as const;

export const SnapshotKeySchema = z.object({
  id: z.uuid(),
  /** Public key id (lookup handle). */
  keyId: z.string(),
  orgId: z.uuid(),
  ownerId: z.uuid(),
  name: z.string(),
  /** argon2id hash of the secret part; null when the key can never authenticate (revoked). */
  secretHash: z.string().nullable(),
  status: z.enum(KEY_STATES),
  expiresAt: z.string().nullable(),
  ownerStatus: z.enum(OWNER_STATES),
  /** Bumped on every rotation, so caches keyed by a secret digest can be dropped. */
  rotatedAt: z.string().nullable(),
  limits: LimitValuesSchema,
  budget: BudgetPart,
  allowedProviders: z.array(z.enum(PROVIDERS)),
  allowedModels: z.array(z.string()),
  ipAllowlist: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  mcp: McpPart,
  /** Pass-through calls that name no model are allowed. Absent: false. */
  allowCallsWithoutModel: z.boolean().optional(),
});
export type SnapshotKey = z.infer<typeof SnapshotKeySchema>;

/**
 * An ephemeral token: a short-lived credential delegated from a key (`apiKeyId`, the key's record id).
 * It authenticates with its own id and secret (same format as a key, see keys.ts) and then acts as its
 * parent: the parent's state, owner, policy, limits and budgets apply, and usage counts on the parent.
 * Like a key, it carries only the argon2id hash of its secret.
 */
export const SnapshotEphemeralTokenSchema = z.object({
  id: z.uuid(),
  /** Public token id (lookup handle), in the same id space as keys' ids. */
  tokenId: z.string(),
  apiKeyId: z.uuid(),
  secretHash: z.string(),
  expiresAt: z.string(),
});
export type SnapshotEphemeralToken = z.infer<typeof SnapshotEphemeralTokenSchema>;

/**
 * How long an expired ephemeral token stays in snapshots (and in gateways' memory) so that it is
 * refused as `key_expired` rather than as an unknown key; after that it is pruned everywhere.
 */
export const EPHEMERAL_TOKEN_RETENTION_MS = 15 * 60_000;

export const SealedSchema = z.string().regex(/^v\d+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/);

export const SnapshotCredentialSchema = z.object({
  id: z.uuid(),
  provider: z.enum(PROVIDERS),
  config: z.object({
    baseUrl: z.string().optional(),
    endpoint: z.string().optional(),
    apiVersion: z.string().optional(),
    deployment: z.string().optional(),
    projectId: z.string().optional(),
  }),
  /** The provider secret sealed under the organization's snapshot key. */
  sealedSecret: SealedSchema,
});
export type SnapshotCredential = z.infer<typeof SnapshotCredentialSchema>;

export const SnapshotModelSchema = z.object({
  id: z.uuid(),
  slug: z.string(),
  credentialId: z.uuid(),
  upstreamModel: z.string(),
  inputPricePerMTok: z.number().nonnegative(),
  outputPricePerMTok: z.number().nonnegative(),
  /** Null or absent (control planes older than cache prices): the provider's usual multiple of the input price. */
  cacheWritePricePerMTok: z.number().nonnegative().nullable().optional(),
  cacheReadPricePerMTok: z.number().nonnegative().nullable().optional(),
  enabled: z.boolean(),
});
export type SnapshotModel = z.infer<typeof SnapshotModelSchema>;

/** An MCP server the gateway proxies at `/mcp/:name`. */
export const SnapshotMcpServerSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  url: z.string(),
  /**
   * The secret headers as a JSON object text, sealed under the organization's snapshot key with the
   * server id as associated data (as credentials' secrets are); null when the server has none.
   */
  sealedHeaders: SealedSchema.nullable(),
  enabled: z.boolean(),
});
export type SnapshotMcpServer = z.infer<typeof SnapshotMcpServerSchema>;

/**
 * People's policy (see policy.ts): every member of the organization with their role, grants, limits,
 * budgets and groups, every group, and the organization's settings. Tables, not per-key copies: keys
 * reference their owner by id, so the wire grows with members and groups, not with keys.
 */
const PolicyBudgetPart = z.object({
  limitUsd: z.number(),
  period: z.enum(POLICY_BUDGET_PERIODS),
  alertThresholds: z.array(z.number()),
  /**
   * Settled spend of the user's keys (a group's: its members' keys) in the period `spentPeriod`, as
   * the control plane had counted it when it built this part: a floor under the fleet's live counter,
   * as for key budgets. Absent: no floor.
   */
  spentUsd: z.number().nonnegative().optional(),
  spentPeriod: z.string().optional(),
});
export const SnapshotUserPolicySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  role: z.enum(ORG_ROLES),
  grants: z.array(z.string()),
  limits: LimitValuesSchema,
  budgets: z.array(PolicyBudgetPart),
  groupIds: z.array(z.uuid()),
});
export type SnapshotUserPolicy = z.infer<typeof SnapshotUserPolicySchema>;
export const SnapshotGroupSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  grants: z.array(z.string()),
  limits: LimitValuesSchema,
  budgets: z.array(PolicyBudgetPart),
});
export type SnapshotGroup = z.infer<typeof SnapshotGroupSchema>;
/**
 * The organization's settings (gateways read modelAccessWithoutGrants; defaultMcpPolicy is the control
 * plane's, carried along).
 */
export const SnapshotOrgSettingsSchema = OrgSettingsSchema.extend({
  defaultMcpPolicy: DefaultMcpPolicySchema.optional(),
});
export const SnapshotPeopleSchema = z.object({
  settings: SnapshotOrgSettingsSchema,
  users: z.array(SnapshotUserPolicySchema),
  groups: z.array(SnapshotGroupSchema),
});
export type SnapshotPeople = z.infer<typeof SnapshotPeopleSchema>;

export const OrgSnapshotSchema = z.object({
  orgId: z.uuid(),
  version: z.number().int().nonnegative(),
  generatedAt: z.string(),
  keys: z.array(SnapshotKeySchema),
  credentials: z.array(SnapshotCredentialSchema),
  models: z.array(SnapshotModelSchema),
  /** Absent: none. */
  mcpServers: z.array(SnapshotMcpServerSchema).optional(),
  /** Absent: gateways enforce each key's own policy alone. */
  people: SnapshotPeopleSchema.optional(),
  /** Outstanding ephemeral tokens (absent: none). */
  ephemeralTokens: z.array(SnapshotEphemeralTokenSchema).optional(),
});
export type OrgSnapshot = z.infer<typeof OrgSnapshotSchema>;

/**
 * The full snapshot on the wire (HTTP, and the gateway's disk cache): format 2.
 *
 * An organization may hold 100,000+ keys, and most share their policy (limits, budget, scopes, IP
 * allowlist, MCP), their owner and their metadata. So the wire sends each distinct policy, owner and
 * metadata object once, in tables, and each key as a tuple of its own fields plus indexes into those
 * tables: a third of the bytes of the object form, parsed about 4× faster, and a decoded snapshot
 * holds one object per distinct policy instead of one per key. `OrgSnapshot` (above) is the decoded
 * form; deltas keep sending whole `SnapshotKey` objects.
 */
export const SNAPSHOT_WIRE_FORMAT = 2;

export const SnapshotKeyPolicySchema = z.object({
  limits: LimitValuesSchema,
  budget: BudgetPart,
  allowedProviders: z.array(z.enum(PROVIDERS)),
  allowedModels: z.array(z.string()),
  ipAllowlist: z.array(z.string()),
  mcp: McpPart,
  allowCallsWithoutModel: z.boolean().optional(),
});
export type SnapshotKeyPolicy = z.infer<typeof SnapshotKeyPolicySchema>;

/** One key: its own fields, then indexes into `owners`, `policies` and `metadata`. */
export type WireKey = [
  id: string,
  keyId: string,
  name: string,
  secretHash: string | null,
  status: SnapshotKey['status'],
  expiresAt: string | null,
  rotatedAt: string | null,
  owner: number,
  policy: number,
  metadata: number,
];
export type WireOwner = [id: string, status: SnapshotKey['ownerStatus']];

export interface WireSnapshot {
  format: typeof SNAPSHOT_WIRE_FORMAT;
  orgId: string;
  version: number;
  generatedAt: string;
  owners: WireOwner[];
  policies: SnapshotKeyPolicy[];
  metadata: Record<string, unknown>[];
  keys: WireKey[];
  credentials: SnapshotCredential[];
  models: SnapshotModel[];
  mcpServers?: SnapshotMcpServer[];
  people?: SnapshotPeople;
  ephemeralTokens?: SnapshotEphemeralToken[];
}

/**
 * The envelope and the small tables go through zod; owners, metadata and key tuples (up to one per key)
 * get hand-written checks in `parseSnapshot`, which cost a fraction of a schema walk per key.
 */
export const WireEnvelopeSchema = z.object({
  format: z.literal(SNAPSHOT_WIRE_FORMAT),
  orgId: z.uuid(),
  version: z.number().int().nonnegative(),
  generatedAt: z.string(),
  owners: z.array(z.unknown()),
  policies: z.array(SnapshotKeyPolicySchema),
  metadata: z.array(z.unknown()),
  keys: z.array(z.unknown()),
  credentials: z.array(SnapshotCredentialSchema),
  models: z.array(SnapshotModelSchema),
  mcpServers: z.array(SnapshotMcpServerSchema).optional(),
  people: SnapshotPeopleSchema.optional(),
  ephemeralTokens: z.array(SnapshotEphemeralTokenSchema).optional(),
});

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isKeyState = (v: unknown): v is SnapshotKey['status'] =>
  v === 'active' || v === 'inactive' || v === 'revoked';
const isOwnerState = (v: unknown): v is SnapshotKey['ownerStatus'] => v === 'active' || v === 'suspended';
const tableEntry = <T>(table: readonly T[], index: unknown): T | undefined =>
  Number.isInteger(index) ? table[index as number] : undefined;

export class SnapshotFormatError extends Error {
  override name = 'SnapshotFormatError';
}

/**
 * Validates a full snapshot as received (wire format 2, or the object form `OrgSnapshotSchema`) and
 * decodes it. Keys that share a policy share its objects: treat them as
 * read-only. Throws a ZodError or SnapshotFormatError on anything malformed.
 */
export function parseSnapshot(raw: unknown): OrgSnapshot {
  if (isRecord(raw) && raw.format === undefined) return OrgSnapshotSchema.parse(raw);
  const w = WireEnvelopeSchema.parse(raw);
  const bad = (what: string) => new SnapshotFormatError(`snapshot ${what} is malformed`);
  const owners = w.owners.map((o, i) => {
    if (!Array.isArray(o) || o.length !== 2 || typeof o[0] !== 'string' || !UUID_RE.test(o[0]))
      throw bad(`owners[${i}]`);
    if (!isOwnerState(o[1])) throw bad(`owners[${i}]`);
    return o as WireOwner;
  });
  const metadata = w.metadata.map((m, i) => {
    if (!isRecord(m)) throw bad(`metadata[${i}]`);
    return m;
  });
  const orgId = w.orgId;
  const keys = new Array<SnapshotKey>(w.keys.length);
  for (let i = 0; i < keys.length; i++) {
    const t = w.keys[i];
    if (!Array.isArray(t) || t.length !== 10) throw bad(`keys[${i}]`);
    const [id, keyId, name, secretHash, status, expiresAt, rotatedAt] = t;
    const owner = tableEntry(owners, t[7]);
    const policy = tableEntry(w.policies, t[8]);
    const meta = tableEntry(metadata, t[9]);
    if (
      typeof id !== 'string' ||
      !UUID_RE.test(id) ||
      typeof keyId !== 'string' ||
      typeof name !== 'string' ||
      !isStringOrNull(secretHash) ||
      !isKeyState(status) ||
      !isStringOrNull(expiresAt) ||
      !isStringOrNull(rotatedAt) ||
      owner === undefined ||
      policy === undefined ||
      meta === undefined
    )
      throw bad(`keys[${i}]`);
    // Same property order as SnapshotKeySchema's output, so every key object has one shape.
    keys[i] = {
      id,
      keyId,
      orgId,
      ownerId: owner[0],
      name,
      secretHash,
      status,
      expiresAt,
      ownerStatus: owner[1],
      rotatedAt,
      limits: policy.limits,
      budget: policy.budget,
      allowedProviders: policy.allowedProviders,
      allowedModels: policy.allowedModels,
      ipAllowlist: policy.ipAllowlist,
      metadata: meta,
      mcp: policy.mcp,
      allowCallsWithoutModel: policy.allowCallsWithoutModel ?? false,
    };
  }
  return {
    orgId,
    version: w.version,
    generatedAt: w.generatedAt,
    keys,
    credentials: w.credentials,
    models: w.models,
    ...(w.mcpServers ? { mcpServers: w.mcpServers } : {}),
    ...(w.people ? { people: w.people } : {}),
    ...(w.ephemeralTokens ? { ephemeralTokens: w.ephemeralTokens } : {}),
  };
}

/**
 * Builds the wire form one key at a time, giving keys with equal policies, owners or metadata one table
 * entry. Equality is by the canonical JSON text when the caller has it (the control plane gets it from
 * Postgres), else by object identity first (decoded keys share objects) and JSON text second.
 */
export class WireSnapshotWriter {
  readonly owners: WireOwner[] = [];
  readonly policies: SnapshotKeyPolicy[] = [];
  readonly metadata: Record<string, unknown>[] = [];
  readonly #owners = new Map<string, number>();
  readonly #policies = new Map<string, number>();
  readonly #metadata = new Map<string, number>();
  readonly #objectIds = new WeakMap<object, number>();
  #nextObjectId = 0;
  readonly #policyByIdentity = new Map<string, number>();
  readonly #metadataByIdentity = new WeakMap<object, number>();

  owner(id: string, status: SnapshotKey['ownerStatus']): number {
    const k = `${id}:${status}`;
    let i = this.#owners.get(k);
    if (i === undefined) {
      i = this.owners.push([id, status]) - 1;
      this.#owners.set(k, i);
    }
    return i;
  }

  /** The index of the policy whose canonical text is `text`; `make` builds it the first time. */
  policyByText(text: string, make: () => SnapshotKeyPolicy): number {
    let i = this.#policies.get(text);
    if (i === undefined) {
      i = this.policies.push(make()) - 1;
      this.#policies.set(text, i);
    }
    return i;
  }

  metadataByText(text: string, make: () => Record<string, unknown>): number {
    let i = this.#metadata.get(text);
    if (i === undefined) {
      i = this.metadata.push(make()) - 1;
      this.#metadata.set(text, i);
    }
    return i;
  }

  key(k: SnapshotKey): WireKey {
    return [
      k.id,
      k.keyId,
      k.name,
      k.secretHash,
      k.status,
      k.expiresAt,
      k.rotatedAt,
      this.owner(k.ownerId, k.ownerStatus),
      this.#policyOf(k),
      this.#metadataOf(k.metadata),
    ];
  }

  finish(
    head: Pick<
      OrgSnapshot,
      | 'orgId'
      | 'version'
      | 'generatedAt'
      | 'credentials'
      | 'models'
      | 'mcpServers'
      | 'people'
      | 'ephemeralTokens'
    >,
    keys: WireKey[],
  ): WireSnapshot {
    return {
      format: SNAPSHOT_WIRE_FORMAT,
      orgId: head.orgId,
      version: head.version,
      generatedAt: head.generatedAt,
      owners: this.owners,
      policies: this.policies,
      metadata: this.metadata,
      keys,
      credentials: head.credentials,
      models: head.models,
      ...(head.mcpServers ? { mcpServers: head.mcpServers } : {}),
      ...(head.people ? { people: head.people } : {}),
      ...(head.ephemeralTokens ? { ephemeralTokens: head.ephemeralTokens } : {}),
    };
  }

  #objectId(o: object | null): number {
    if (o === null) return -1;
    let id = this.#objectIds.get(o);
    if (id === undefined) {
      id = this.#nextObjectId++;
      this.#objectIds.set(o, id);
    }
    return id;
  }

  #policyOf(k: SnapshotKey): number {
    const withoutModel = k.allowCallsWithoutModel === true;
    const identity = `${[k.limits, k.budget, k.allowedProviders, k.allowedModels, k.ipAllowlist, k.mcp]
      .map((o) => this.#objectId(o))
      .join(',')},${withoutModel}`;
    let i = this.#policyByIdentity.get(identity);
    if (i === undefined) {
      const policy: SnapshotKeyPolicy = {
        limits: k.limits,
        budget: k.budget,
        allowedProviders: k.allowedProviders,
        allowedModels: k.allowedModels,
        ipAllowlist: k.ipAllowlist,
        mcp: k.mcp,
        allowCallsWithoutModel: withoutModel,
      };
      i = this.policyByText(JSON.stringify(policy), () => policy);
      this.#policyByIdentity.set(identity, i);
    }
    return i;
  }

  #metadataOf(m: Record<string, unknown>): number {
    let i = this.#metadataByIdentity.get(m);
    if (i === undefined) {
      i = this.metadataByText(JSON.stringify(m), () => m);
      this.#metadataByIdentity.set(m, i);
    }
    return i;
  }
}

/** The wire form of a decoded snapshot. */
export function encodeSnapshot(snapshot: OrgSnapshot): WireSnapshot {
  const w = new WireSnapshotWriter();
  const keys = snapshot.keys.map((k) => w.key(k));
  return w.finish(snapshot, keys);
}

export const SnapshotChangeSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('upsert_key'), value: SnapshotKeySchema }),
  z.object({ op: z.literal('delete_key'), id: z.uuid() }),
  z.object({ op: z.literal('upsert_credential'), value: SnapshotCredentialSchema }),
  z.object({ op: z.literal('delete_credential'), id: z.uuid() }),
  z.object({ op: z.literal('upsert_model'), value: SnapshotModelSchema }),
  z.object({ op: z.literal('delete_model'), id: z.uuid() }),
  z.object({ op: z.literal('upsert_mcp_server'), value: SnapshotMcpServerSchema }),
  z.object({ op: z.literal('delete_mcp_server'), id: z.uuid() }),
  z.object({ op: z.literal('upsert_user_policy'), value: SnapshotUserPolicySchema }),
  z.object({ op: z.literal('delete_user_policy'), id: z.uuid() }),
  z.object({ op: z.literal('upsert_group'), value: SnapshotGroupSchema }),
  z.object({ op: z.literal('delete_group'), id: z.uuid() }),
  z.object({ op: z.literal('org_settings'), value: SnapshotOrgSettingsSchema }),
  z.object({ op: z.literal('upsert_ephemeral_token'), value: SnapshotEphemeralTokenSchema }),
  /** Every outstanding token of one key goes (the key was rotated or deleted). */
  z.object({ op: z.literal('delete_ephemeral_tokens'), apiKeyId: z.uuid() }),
]);
export type SnapshotChange = z.infer<typeof SnapshotChangeSchema>;

/** Messages on the organization's pub/sub channel. */
export const SnapshotMessageSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('delta'),
    orgId: z.uuid(),
    fromVersion: z.number().int().nonnegative(),
    toVersion: z.number().int().positive(),
    changes: z.array(SnapshotChangeSchema),
  }),
  z.object({
    kind: z.literal('heartbeat'),
    orgId: z.uuid(),
    version: z.number().int().nonnegative(),
    at: z.string(),
  }),
]);
export type SnapshotMessage = z.infer<typeof SnapshotMessageSchema>;

export const snapshotChannel = (orgId: string) => `portcullis:snapshots:${orgId}`;

/** Gateway ↔ control plane (gateway-token auth): register, heartbeat, full snapshot. */
export const GatewayRegisterSchema = z.strictObject({
  instanceId: z.string().min(1).max(128),
  version: z.string().max(64).optional(),
});
export const GatewayRegistrationSchema = z.object({
  gateway: z.object({ id: z.uuid(), name: z.string(), orgId: z.uuid() }),
  /** The organization's snapshot key, base64url, to open sealed provider secrets. */
  snapshotKey: z.string(),
  /**
   * The snapshot key's generation: the version of everything sealed under it (`v<n>.…`). It moves when
   * the key is rotated (a gateway was removed). Absent: 1.
   */
  snapshotKeyVersion: z.number().int().positive().optional(),
  /**
   * The control plane's Ed25519 public key (raw, base64url) that signs every snapshot, delta and
   * heartbeat. A gateway pins it the first time and refuses a registration presenting another one.
   * Absent from control planes older than signing (a gateway refuses to attach to those).
   */
  signingKey: z
    .object({ algorithm: z.literal('ed25519'), publicKey: z.string(), fingerprint: z.string() })
    .optional(),
});
export type GatewayRegistration = z.infer<typeof GatewayRegistrationSchema>;
export const GatewayHeartbeatSchema = z.strictObject({
  instanceId: z.string().min(1).max(128),
  snapshotVersion: z.number().int().nonnegative().nullable(),
});
