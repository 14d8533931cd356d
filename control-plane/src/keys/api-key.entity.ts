import type { BudgetInput, Limits, Provider, StoredMcpPolicy } from '@portcullis/shared/api-keys';
import type { AdminCeiling } from '@portcullis/shared/key-ceiling';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Stored status; `expired` is never stored, it is derived from `expiresAt`. */
export type StoredKeyStatus = 'active' | 'inactive' | 'revoked';

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  @Column({ type: 'text' })
  name: string;

  /** Public key id, the lookup handle; the displayed prefix is `ptcl_<keyId>`. */
  @Column({ name: 'key_id', type: 'text', unique: true })
  keyId: string;

  /** argon2id hash of the secret part; null once revoked or deleted. Never selected by default. */
  @Column({ name: 'secret_hash', type: 'text', nullable: true, select: false })
  secretHash: string | null;

  @Column({ type: 'text' })
  status: StoredKeyStatus;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'last_rotated_at', type: 'timestamptz', nullable: true })
  lastRotatedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @Column({ name: 'request_count', type: 'bigint', default: 0 })
  requestCount: string;

  /** Lifetime spend; unbounded numeric so that no run of events can overflow it. */
  @Column({ name: 'spent_usd', type: 'numeric', default: 0 })
  spentUsd: string;

  @Column({ type: 'jsonb' })
  limits: Limits;

  @Column({ type: 'jsonb', nullable: true })
  budget: BudgetInput | null;

  @Column({ name: 'allowed_providers', type: 'jsonb' })
  allowedProviders: Provider[];

  @Column({ name: 'allowed_models', type: 'jsonb' })
  allowedModels: string[];

  @Column({ name: 'ip_allowlist', type: 'jsonb' })
  ipAllowlist: string[];

  @Column({ type: 'jsonb' })
  metadata: Record<string, unknown>;

  @Column({ type: 'jsonb' })
  mcp: StoredMcpPolicy;

  /** The restrictions an admin wrote: the owner, when a member, may tighten them but not loosen them. */
  @Column({ name: 'admin_ceiling', type: 'jsonb', nullable: true })
  adminCeiling: AdminCeiling | null;

  /** Deactivated by an admin: only an admin may activate it again. */
  @Column({ name: 'deactivated_by_admin', type: 'boolean', default: false })
  deactivatedByAdmin: boolean;
  /** Pass-through calls that name no model are allowed (admins only may turn it on). */
  @Column({ name: 'allow_calls_without_model', type: 'boolean', default: false })
  allowCallsWithoutModel: boolean;

  @Column({ name: 'created_by', type: 'uuid' })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
