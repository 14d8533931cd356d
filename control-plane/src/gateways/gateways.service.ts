import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PageQuery } from '@portcullis/shared/api/queries';
import type { GatewayCredentials } from '@portcullis/shared/gateway-credentials';
import {
  type CreateGatewayTokenInput,
  GATEWAY_STALE_AFTER_SECONDS,
  type GatewayTokenCreated,
  type GatewayView,
  isGatewayToken,
  makeGatewayToken,
} from '@portcullis/shared/gateways';
import { gatewayRedisUser } from '@portcullis/shared/redis-keys';
import { publicKeyFingerprint } from '@portcullis/shared/signing';
import type { GatewayRegistration } from '@portcullis/shared/snapshot';
import { makeUsageSigningSecret } from '@portcullis/shared/usage-signing';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { nameKeyset, toPage } from '../common/keyset';
import type { Page } from '../common/pagination';
import { isUniqueViolation } from '../common/pg-errors';
import type { OrgCaller } from '../common/request-context';
import { isUuid } from '../common/uuid';
import { sha256Hex } from '../crypto/hashing';
import { SecretBox } from '../crypto/secret-box';
import { execute, query, sql } from '../database/sql';
import { type AuditRecord, ChangeRecorder } from '../snapshots/change-recorder';
import { SigningKeyService } from '../snapshots/signing-key.service';
import { type SignedSnapshot, SnapshotsService } from '../snapshots/snapshots.service';
import { usageSecretAad } from '../usage/usage-signature';
import { GatewayRedisUsers, redisPasswordAad } from './gateway-redis-users';

/** The gateway a request's gateway token belongs to. */
export interface GatewayIdentity {
  id: string;
  orgId: string;
  name: string;
}

interface GatewayRow {
  id: string;
  name: string;
  snapshot_version: string | null;
  last_seen_at: Date | null;
  instance_id: string | null;
  version: string | null;
  created_at: Date;
}

function toView(r: GatewayRow, orgVersion: number, now: number): GatewayView {
  const version = r.snapshot_version === null ? null : Number(r.snapshot_version);
  const seen = r.last_seen_at ? new Date(r.last_seen_at) : null;
  return {
    id: r.id,
    name: r.name,
    snapshotVersion: version,
    lag: version === null ? null : Math.max(0, orgVersion - version),
    lastSeenAt: seen ? seen.toISOString() : null,
    status: !seen
      ? 'never_seen'
      : now - seen.getTime() > GATEWAY_STALE_AFTER_SECONDS * 1000
        ? 'stale'
        : 'online',
    instanceId: r.instance_id,
    version: r.version,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/**
 * Gateway attachment: tokens (shown once, stored as SHA-256: they are 256-bit random, so a fast hash
 * is enough), registration (hands out the organization's snapshot key), heartbeats and the full
 * snapshot. Deleting a gateway revokes its token at once.
 */
@Injectable()
export class GatewaysService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly changes: ChangeRecorder,
    private readonly snapshots: SnapshotsService,
    private readonly box: SecretBox,
    private readonly redisUsers: GatewayRedisUsers,
    private readonly signer: SigningKeyService,
  ) {}

  async createToken(caller: OrgCaller, input: CreateGatewayTokenInput): Promise<GatewayTokenCreated> {
    const token = makeGatewayToken();
    try {
      const gateway = await this.db.transaction(async (em) => {
        const rows: { id: string; name: string }[] = await query(
          em,
          sql`INSERT INTO gateways (org_id, name, token_hash, created_by)
              VALUES (${caller.org.orgId}, ${input.name}, ${sha256Hex(token)}, ${caller.actor.userId})
              RETURNING id, name`,
        );
        const created = rows[0] as { id: string; name: string };
        await this.changes.record(em, caller, {
          action: 'gateway.token_created',
          targetType: 'gateway',
          targetId: created.id,
          after: { id: created.id, name: created.name },
        });
        return { id: created.id, name: created.name };
      });
      return { token, gateway };
    } catch (err) {
      if (isUniqueViolation(err, 'gateways_org_id_name_key')) {
        throw new DomainError('conflict', `A gateway named "${input.name}" already exists`, [
          { field: 'name', message: 'is already used by another gateway' },
        ]);
      }
      throw err;
    }
  }

  async list(caller: OrgCaller, q: PageQuery): Promise<Page<GatewayView>> {
    const ks = nameKeyset('name', 'id', q);
    const rows: GatewayRow[] = await query(
      this.db,
      sql`SELECT id, name, snapshot_version, last_seen_at, instance_id, version, created_at FROM gateways
           WHERE org_id = ${caller.org.orgId} AND ${ks.where} ORDER BY name, id LIMIT ${ks.limit}`,
    );
    const org: { snapshot_version: string }[] = await query(
      this.db,
      sql`SELECT snapshot_version FROM organizations WHERE id = ${caller.org.orgId}`,
    );
    const orgVersion = Number(org[0]?.snapshot_version ?? 0);
    const now = Date.now();
    return toPage(
      rows,
      q.limit,
      (r) => toView(r, orgVersion, now),
      (r) => ({ v: r.name, i: r.id }),
    );
  }

  async remove(caller: OrgCaller, id: string): Promise<void> {
    if (!isUuid(id)) throw DomainError.notFound('Gateway');
    await this.db.transaction(async (em) => {
      const rows: { id: string; name: string; redis_username: string | null }[] = await query(
        em,
        sql`WITH gone AS (DELETE FROM gateways WHERE id = ${id} AND org_id = ${caller.org.orgId}
            RETURNING id, name, redis_username) SELECT * FROM gone`,
      );
      const gone = rows[0];
      if (!gone) throw DomainError.notFound('Gateway');
      // What the removed gateway holds (the snapshot key, sealed provider secrets) must open nothing the
      // control plane sends from now on: a new key, everything resealed, in this transaction.
      const rotated = this.box.available
        ? await this.snapshots.rotateSnapshotKey(em, caller.org.orgId)
        : null;
      // Its Redis user goes with it (Redis disconnects its clients), before the row is gone for good:
      // if Redis cannot be told, the gateway stays and the admin tries again.
      if (gone.redis_username) await this.deleteRedisUser(gone.id);
      const records: AuditRecord[] = [
        {
          action: 'gateway.deleted',
          targetType: 'gateway',
          targetId: gone.id,
          before: { id: gone.id, name: gone.name },
          after: null,
        },
      ];
      if (rotated) {
        records.push({
          action: 'gateway.snapshot_key_rotated',
          targetType: 'gateway',
          targetId: gone.id,
          after: { snapshotKeyVersion: rotated.version },
        });
      }
      await this.changes.record(em, caller, records, rotated?.changes);
    });
  }

  private async deleteRedisUser(gatewayId: string): Promise<void> {
    try {
      await this.redisUsers.remove(gatewayId);
    } catch (err) {
      if (/NOPERM|unknown command/i.test((err as Error).message)) return;
      throw new DomainError(
        'conflict',
        `Redis is unreachable, so the gateway's Redis user ${gatewayRedisUser(gatewayId)} cannot be deleted now; the gateway was kept, try again`,
      );
    }
  }

  /**
   * The gateway's own credentials: its usage signing secret (made at its first registration, the same
   * afterwards, so every instance and every spooled event verifies) and its Redis user (minted, or
   * refreshed, at every registration when the control plane may).
   */
  private async credentials(gw: GatewayIdentity): Promise<GatewayCredentials> {
    // Both made once, in one statement, so instances registering at once all get the same ones.
    const rows: {
      usage_secret_sealed: string;
      redis_password_sealed: string;
      redis_username: string | null;
    }[] = await query(
      this.db,
      sql`WITH u AS (UPDATE gateways SET usage_secret_sealed = coalesce(usage_secret_sealed,
          ${this.box.seal(makeUsageSigningSecret(), usageSecretAad(gw.id))}),
             redis_password_sealed = coalesce(redis_password_sealed,
               ${this.box.seal(randomBytes(32).toString('hex'), redisPasswordAad(gw.id))})
           WHERE id = ${gw.id} RETURNING usage_secret_sealed, redis_password_sealed,
             redis_username) SELECT * FROM u`,
    );
    const row = rows[0];
    if (!row) throw new DomainError('unauthenticated', 'A valid gateway token is required');
    const usageSigningSecret = this.box.open(row.usage_secret_sealed, usageSecretAad(gw.id));
    if (!this.redisUsers.enabled) return { usageSigningSecret, redis: null };
    const password = this.box.open(row.redis_password_sealed, redisPasswordAad(gw.id));
    const mintedBefore = row.redis_username !== null;
    let minted: boolean;
    try {
      minted = await this.redisUsers.mint(gw.id, gw.orgId, password);
    } catch (err) {
      // Redis unreachable: a user minted before is still the gateway's; a first one must wait.
      if (!mintedBefore) throw err;
      minted = true;
    }
    if (!minted) return { usageSigningSecret, redis: null };
    if (!mintedBefore) {
      await execute(
        this.db,
        sql`UPDATE gateways SET redis_username = ${gatewayRedisUser(gw.id)} WHERE id = ${gw.id}`,
      );
    }
    return { usageSigningSecret, redis: { username: gatewayRedisUser(gw.id), password } };
  }

  /** The gateway behind a presented token, or null (malformed tokens never reach the database). */
  async authenticate(token: string): Promise<GatewayIdentity | null> {
    if (!isGatewayToken(token)) return null;
    const rows: { id: string; org_id: string; name: string }[] = await query(
      this.db,
      sql`SELECT id, org_id, name FROM gateways WHERE token_hash = ${sha256Hex(token)}`,
    );
    const r = rows[0];
    return r ? { id: r.id, orgId: r.org_id, name: r.name } : null;
  }

  async register(
    gw: GatewayIdentity,
    input: { instanceId: string; version?: string | undefined },
    ip: string | null,
  ): Promise<GatewayRegistration & GatewayCredentials> {
    this.box.require();
    const publicKey = await this.signer.publicKey();
    const key = await this.db.transaction(async (em) => {
      const snapshotKey = await this.snapshots.snapshotKey(em, gw.orgId);
      await execute(
        em,
        sql`UPDATE gateways SET instance_id = ${input.instanceId}, version = ${input.version ?? null},
            last_seen_at = now() WHERE id = ${gw.id}`,
      );
      await this.changes.record(
        em,
        { orgId: gw.orgId, actor: { type: 'system', userId: null, ip } },
        {
          action: 'gateway.registered',
          targetType: 'gateway',
          targetId: gw.id,
          after: { id: gw.id, name: gw.name, instanceId: input.instanceId, version: input.version ?? null },
        },
      );
      return snapshotKey;
    });
    const credentials = await this.credentials(gw);
    return {
      gateway: { id: gw.id, name: gw.name, orgId: gw.orgId },
      snapshotKey: key.key.toString('base64url'),
      snapshotKeyVersion: key.version,
      ...credentials,
      signingKey: { algorithm: 'ed25519', publicKey, fingerprint: publicKeyFingerprint(publicKey) },
    };
  }

  /** Records what the gateway holds; answers the newest version it can reach by deltas. */
  async heartbeat(
    gw: GatewayIdentity,
    input: { instanceId: string; snapshotVersion: number | null },
  ): Promise<{ version: number }> {
    await execute(
      this.db,
      sql`UPDATE gateways SET instance_id = ${input.instanceId},
          snapshot_version = coalesce(${input.snapshotVersion}, snapshot_version),
         last_seen_at = now() WHERE id = ${gw.id}`,
    );
    return { version: await this.snapshots.publishedVersion(gw.orgId) };
  }

  snapshot(gw: GatewayIdentity): Promise<SignedSnapshot> {
    return this.snapshots.fullSnapshot(gw.orgId);
  }
}
