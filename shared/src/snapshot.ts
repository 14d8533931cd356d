import { z } from 'zod';
import { BUDGET_PERIODS, MCP_MODES, PROVIDERS } from './api-keys';

/**
 * The snapshot wire format: what the control plane sends gateways (full snapshot over HTTP, deltas
 * and heartbeats over Redis pub/sub). One schema, used by the control plane to build, by the gateway
 * to validate at its edge.
 *
 * Nothing here is a plaintext secret: keys carry their argon2id hash; provider secrets travel as
 * AES-256-GCM ciphertext under the organization's snapshot key (see crypto.ts).
 */
const nullableLimit = z.number().int().positive().nullable();

export const SnapshotKeySchema = z.object({
  id: z.uuid(),
  /** Public key id (lookup handle). */
  keyId: z.string(),
  orgId: z.uuid(),
  ownerId: z.uuid(),
  name: z.string(),
  /** argon2id hash of the secret part; null when the key can never authenticate (revoked). */
  secretHash: z.string().nullable(),
  status: z.enum(['active', 'inactive', 'revoked']),
  expiresAt: z.string().nullable(),
  ownerStatus: z.enum(['active', 'suspended']),
  /** Bumped on every rotation, so caches keyed by a secret digest can be dropped. */
  rotatedAt: z.string().nullable(),
  limits: z.object({
    requestsPerMinute: nullableLimit,
    tokensPerMinute: nullableLimit,
    inputTokensPerMinute: nullableLimit,
    outputTokensPerMinute: nullableLimit,
    concurrentRequests: nullableLimit,
  }),
  budget: z
    .object({ limitUsd: z.number(), period: z.enum(BUDGET_PERIODS), alertThresholds: z.array(z.number()) })
    .nullable(),
  allowedProviders: z.array(z.enum(PROVIDERS)),
  allowedModels: z.array(z.string()),
  ipAllowlist: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  mcp: z.object({
    enabled: z.boolean(),
    mode: z.enum(MCP_MODES),
    servers: z.array(z.string()),
    tools: z.record(z.string(), z.array(z.string())),
  }),
});
export type SnapshotKey = z.infer<typeof SnapshotKeySchema>;

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
  enabled: z.boolean(),
});
export type SnapshotModel = z.infer<typeof SnapshotModelSchema>;

export const OrgSnapshotSchema = z.object({
  orgId: z.uuid(),
  version: z.number().int().nonnegative(),
  generatedAt: z.string(),
  keys: z.array(SnapshotKeySchema),
  credentials: z.array(SnapshotCredentialSchema),
  models: z.array(SnapshotModelSchema),
});
export type OrgSnapshot = z.infer<typeof OrgSnapshotSchema>;

export const SnapshotChangeSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('upsert_key'), value: SnapshotKeySchema }),
  z.object({ op: z.literal('delete_key'), id: z.uuid() }),
  z.object({ op: z.literal('upsert_credential'), value: SnapshotCredentialSchema }),
  z.object({ op: z.literal('delete_credential'), id: z.uuid() }),
  z.object({ op: z.literal('upsert_model'), value: SnapshotModelSchema }),
  z.object({ op: z.literal('delete_model'), id: z.uuid() }),
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
});
export type GatewayRegistration = z.infer<typeof GatewayRegistrationSchema>;
export const GatewayHeartbeatSchema = z.strictObject({
  instanceId: z.string().min(1).max(128),
  snapshotVersion: z.number().int().nonnegative().nullable(),
});
