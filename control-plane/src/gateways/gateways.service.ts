import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  type CreateGatewayTokenInput,
  GATEWAY_STALE_AFTER_SECONDS,
  type GatewayView,
  isGatewayToken,
  makeGatewayToken,
} from '@portcullis/shared/gateways';
import { publicKeyFingerprint } from '@portcullis/shared/signing';
import type { GatewayRegistration } from '@portcullis/shared/snapshot';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors/domain-error';
import { nameKeyset, toPage } from '../common/keyset';
import type { PageQuery } from '../common/list-query';
import type { Page } from '../common/pagination';
import { isUniqueViolation } from '../common/pg-errors';
import type { OrgCaller } from '../common/request-context';
import { isUuid } from '../common/uuid';
import { SecretBox } from '../crypto/secret-box';
import { SigningKeyService } from '../snapshots/signing-key.service';
import { type SignedSnapshot, SnapshotsService } from '../snapshots/snapshots.service';

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

const tokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

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
    private readonly audit: AuditService,
    private readonly snapshots: SnapshotsService,
    private readonly box: SecretBox,
    private readonly signer: SigningKeyService,
  ) {}

  async createToken(
    caller: OrgCaller,
    input: CreateGatewayTokenInput,
  ): Promise<{ token: string; gateway: { id: string; name: string } }> {
    const token = makeGatewayToken();
    try {
      const gateway = await this.db.transaction(async (em) => {
        const rows: { id: string; name: string }[] = await em.query(
          'INSERT INTO gateways (org_id, name, token_hash, created_by) VALUES ($1, $2, $3, $4) RETURNING id, name',
          [caller.org.orgId, input.name, tokenHash(token), caller.actor.userId],
        );
        const created = rows[0] as { id: string; name: string };
        await this.audit.append(em, {
          orgId: caller.org.orgId,
          actor: caller.actor,
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
    const params: unknown[] = [caller.org.orgId];
    const ks = nameKeyset('name', 'id', q, params);
    const rows: GatewayRow[] = await this.db.query(
      `SELECT id, name, snapshot_version, last_seen_at, instance_id, version, created_at FROM gateways
        WHERE org_id = $1 AND ${ks.where} ORDER BY name, id LIMIT ${ks.limit}`,
      params,
    );
    const org: { snapshot_version: string }[] = await this.db.query(
      'SELECT snapshot_version FROM organizations WHERE id = $1',
      [caller.org.orgId],
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
      const rows: { id: string; name: string }[] = await em.query(
        'WITH gone AS (DELETE FROM gateways WHERE id = $1 AND org_id = $2 RETURNING id, name) SELECT * FROM gone',
        [id, caller.org.orgId],
      );
      const gone = rows[0];
      if (!gone) throw DomainError.notFound('Gateway');
      // What the removed gateway holds (the snapshot key, sealed provider secrets) must open nothing the
      // control plane sends from now on: a new key, everything resealed, in this transaction.
      const sealingKeyVersion = this.box.available
        ? await this.snapshots.rotateSnapshotKey(em, caller.org.orgId)
        : null;
      await this.audit.append(em, {
        orgId: caller.org.orgId,
        actor: caller.actor,
        action: 'gateway.deleted',
        targetType: 'gateway',
        targetId: gone.id,
        before: { id: gone.id, name: gone.name },
        after: null,
      });
      if (sealingKeyVersion !== null) {
        await this.audit.append(em, {
          orgId: caller.org.orgId,
          actor: caller.actor,
          action: 'gateway.snapshot_key_rotated',
          targetType: 'gateway',
          targetId: gone.id,
          after: { snapshotKeyVersion: sealingKeyVersion },
        });
      }
    });
  }

  /** The gateway behind a presented token, or null (malformed tokens never reach the database). */
  async authenticate(token: string): Promise<GatewayIdentity | null> {
    if (!isGatewayToken(token)) return null;
    const rows: { id: string; org_id: string; name: string }[] = await this.db.query(
      'SELECT id, org_id, name FROM gateways WHERE token_hash = $1',
      [tokenHash(token)],
    );
    const r = rows[0];
    return r ? { id: r.id, orgId: r.org_id, name: r.name } : null;
  }

  async register(
    gw: GatewayIdentity,
    input: { instanceId: string; version?: string | undefined },
    ip: string | null,
  ): Promise<GatewayRegistration> {
    this.box.require();
    const publicKey = await this.signer.publicKey();
    const key = await this.db.transaction(async (em) => {
      const snapshotKey = await this.snapshots.snapshotKey(em, gw.orgId);
      await em.query(
        'UPDATE gateways SET instance_id = $2, version = $3, last_seen_at = now() WHERE id = $1',
        [gw.id, input.instanceId, input.version ?? null],
      );
      await this.audit.append(em, {
        orgId: gw.orgId,
        actor: { type: 'system', userId: null, ip },
        action: 'gateway.registered',
        targetType: 'gateway',
        targetId: gw.id,
        after: { id: gw.id, name: gw.name, instanceId: input.instanceId, version: input.version ?? null },
      });
      return snapshotKey;
    });
    return {
      gateway: { id: gw.id, name: gw.name, orgId: gw.orgId },
      snapshotKey: key.key.toString('base64url'),
      snapshotKeyVersion: key.version,
      signingKey: { algorithm: 'ed25519', publicKey, fingerprint: publicKeyFingerprint(publicKey) },
    };
  }

  /** Records what the gateway holds; answers the newest version it can reach by deltas. */
  async heartbeat(
    gw: GatewayIdentity,
    input: { instanceId: string; snapshotVersion: number | null },
  ): Promise<{ version: number }> {
    await this.db.query(
      `UPDATE gateways SET instance_id = $2, snapshot_version = coalesce($3, snapshot_version),
         last_seen_at = now() WHERE id = $1`,
      [gw.id, input.instanceId, input.snapshotVersion],
    );
    return { version: await this.snapshots.publishedVersion(gw.orgId) };
  }

  snapshot(gw: GatewayIdentity): Promise<SignedSnapshot> {
    return this.snapshots.fullSnapshot(gw.orgId);
  }
}
