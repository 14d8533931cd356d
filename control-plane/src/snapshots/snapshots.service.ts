import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { seal } from '@portcullis/shared/crypto';
import { type SnapshotChange, type WireSnapshot, WireSnapshotWriter } from '@portcullis/shared/snapshot';
import { DataSource, type EntityManager } from 'typeorm';
import { SecretBox } from '../crypto/secret-box';
import { execute, query, sql } from '../database/sql';
import { SigningKeyService } from './signing-key.service';
import {
  snapshotCredentials,
  snapshotEphemeralTokens,
  snapshotKeys,
  snapshotModels,
  wireKeys,
} from './snapshot-builder';
import { snapshotMcpServers } from './snapshot-mcp';
import { snapshotPeople } from './snapshot-people';

const snapshotKeyAad = (orgId: string) => `snapshot-key:${orgId}`;

/** How long a built full snapshot is kept after its last request (while its version is current). */
const BUILT_SNAPSHOT_IDLE_MS = 30_000;

/** The organization's snapshot sealing key and its generation (the version written into what it seals). */
export interface SealingKey {
  key: Buffer;
  version: number;
}

/** A full snapshot as sent: its JSON text and the control plane's signature over exactly those bytes. */
export interface SignedSnapshot {
  version: number;
  body: string;
  /** Null only without a master key (no signing key; no gateway can attach then anyway). */
  signature: string | null;
}

interface BuiltSnapshot {
  version: number;
  snapshot: Promise<SignedSnapshot>;
  idle: NodeJS.Timeout;
}

/**
 * Snapshot content: the change of one object as gateways must now see it (recorded with its audit
 * record by `ChangeRecorder`), the organization's snapshot key, and the full snapshot.
 */
@Injectable()
export class SnapshotsService {
  private readonly built = new Map<string, BuiltSnapshot>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly box: SecretBox,
    private readonly signer: SigningKeyService,
  ) {}

  async keyChange(em: EntityManager, orgId: string, id: string): Promise<SnapshotChange> {
    const [value] = await snapshotKeys(em, orgId, [id]);
    return value ? { op: 'upsert_key', value } : { op: 'delete_key', id };
  }

  async ephemeralTokenChange(em: EntityManager, orgId: string, id: string): Promise<SnapshotChange> {
    const [value] = await snapshotEphemeralTokens(em, orgId, [id]);
    if (!value) throw new Error(`snapshots: ephemeral token ${id} is not in organization ${orgId}`);
    return { op: 'upsert_ephemeral_token', value };
  }

  async credentialChange(em: EntityManager, orgId: string, id: string): Promise<SnapshotChange> {
    const key = await this.snapshotKey(em, orgId);
    const [value] = await snapshotCredentials(em, orgId, (r) => this.reseal(key, r.id, r.secret_sealed), [
      id,
    ]);
    return value ? { op: 'upsert_credential', value } : { op: 'delete_credential', id };
  }

  async modelChange(em: EntityManager, orgId: string, id: string): Promise<SnapshotChange> {
    const [value] = await snapshotModels(em, orgId, [id]);
    return value ? { op: 'upsert_model', value } : { op: 'delete_model', id };
  }

  /** The snapshot key is only needed (and the master key only required) when the server has headers. */
  async mcpServerChange(em: EntityManager, orgId: string, id: string): Promise<SnapshotChange> {
    const sealed: unknown[] = await query(
      em,
      sql`SELECT 1 FROM mcp_servers WHERE id = ${id} AND headers_sealed IS NOT NULL`,
    );
    const key = sealed.length > 0 ? await this.snapshotKey(em, orgId) : null;
    const [value] = await snapshotMcpServers(
      em,
      orgId,
      (r) => this.reseal(key ?? this.noKey(), r.id, r.headers_sealed),
      [id],
    );
    return value ? { op: 'upsert_mcp_server', value } : { op: 'delete_mcp_server', id };
  }

  /**
   * The organization's snapshot key (32 bytes) and its generation, created on first use and kept sealed
   * under the master key. Takes the organization row lock, so concurrent first uses agree on one key and
   * a rotation waits for the transactions sealing under the old one.
   */
  async snapshotKey(em: EntityManager, orgId: string): Promise<SealingKey> {
    const rows: { snapshot_key_sealed: string | null; snapshot_key_version: number }[] = await query(
      em,
      sql`SELECT snapshot_key_sealed, snapshot_key_version FROM organizations
          WHERE id = ${orgId} FOR UPDATE`,
    );
    const row = rows[0];
    if (!row) throw new Error(`snapshots: organization ${orgId} does not exist`);
    if (row.snapshot_key_sealed) {
      return {
        key: Buffer.from(this.box.open(row.snapshot_key_sealed, snapshotKeyAad(orgId)), 'base64url'),
        version: row.snapshot_key_version,
      };
    }
    const key = randomBytes(32);
    await execute(
      em,
      sql`UPDATE organizations
          SET snapshot_key_sealed = ${this.box.seal(key.toString('base64url'), snapshotKeyAad(orgId))}
          WHERE id = ${orgId}`,
    );
    return { key, version: row.snapshot_key_version };
  }

  /**
   * Replaces the organization's snapshot key with a new one (next generation) in the caller's transaction
   * and reseals every provider secret and MCP header set under it: the new generation and the one
   * snapshot change that carries them, for the caller to record. What a removed gateway holds then opens
   * nothing the control plane sends from now on; the gateways that stay see sealed values of a generation
   * they do not hold, fetch the new key by registering again, and keep serving meanwhile from what they
   * hold.
   */
  async rotateSnapshotKey(
    em: EntityManager,
    orgId: string,
  ): Promise<{ version: number; changes: SnapshotChange[] }> {
    await this.snapshotKey(em, orgId); // takes the row lock (and creates the first key if none yet)
    const key = randomBytes(32);
    const rows: { snapshot_key_version: number }[] = await query(
      em,
      sql`WITH rotated AS (
         UPDATE organizations
           SET snapshot_key_sealed = ${this.box.seal(key.toString('base64url'), snapshotKeyAad(orgId))},
           snapshot_key_version = snapshot_key_version + 1
          WHERE id = ${orgId} RETURNING snapshot_key_version
       ) SELECT snapshot_key_version FROM rotated`,
    );
    const sealing: SealingKey = { key, version: Number(rows[0]?.snapshot_key_version) };
    const credentials = await snapshotCredentials(em, orgId, (r) =>
      this.reseal(sealing, r.id, r.secret_sealed),
    );
    const servers = await snapshotMcpServers(em, orgId, (r) => this.reseal(sealing, r.id, r.headers_sealed));
    return {
      version: sealing.version,
      changes: [
        ...credentials.map((value): SnapshotChange => ({ op: 'upsert_credential', value })),
        ...servers
          .filter((value) => value.sealedHeaders !== null)
          .map((value): SnapshotChange => ({ op: 'upsert_mcp_server', value })),
      ],
    };
  }

  /**
   * The full snapshot in wire format 2 (see shared/snapshot.ts). A fleet asks for the same version all at
   * once (gateways starting, a Redis reconnect), and at 100,000 keys a build costs about a second of
   * this process: so the last build of each organization is kept while its version is current (every
   * change bumps the version in its own transaction) and concurrent requests share one build.
   */
  async fullSnapshot(orgId: string): Promise<SignedSnapshot> {
    const rows: { snapshot_version: string }[] = await query(
      this.db,
      sql`SELECT snapshot_version FROM organizations WHERE id = ${orgId}`,
    );
    const current = Number(rows[0]?.snapshot_version ?? 0);
    const held = this.built.get(orgId);
    if (held && held.version === current) {
      held.idle.refresh();
      return held.snapshot;
    }
    if (held) clearTimeout(held.idle);
    const entry: BuiltSnapshot = {
      version: current,
      snapshot: this.buildFullSnapshot(orgId).then(async (wire) => {
        const body = JSON.stringify(wire);
        const signature = this.signer.available ? await this.signer.signSnapshot(body) : null;
        return { version: wire.version, body, signature };
      }),
      idle: setTimeout(() => {
        if (this.built.get(orgId) === entry) this.built.delete(orgId);
      }, BUILT_SNAPSHOT_IDLE_MS).unref(),
    };
    this.built.set(orgId, entry);
    entry.snapshot.then(
      (s) => {
        entry.version = s.version;
      },
      () => {
        clearTimeout(entry.idle);
        if (this.built.get(orgId) === entry) this.built.delete(orgId);
      },
    );
    return entry.snapshot;
  }

  /** Reads the full snapshot in one REPEATABLE READ transaction, so its version matches its content. */
  private async buildFullSnapshot(orgId: string): Promise<WireSnapshot> {
    // Make sure the key exists first (a write), outside the read-only snapshot transaction; then read it
    // inside, so the sealing and the version belong together even across a rotation.
    if (this.box.available) await this.db.transaction((em) => this.snapshotKey(em, orgId));
    return this.db.transaction('REPEATABLE READ', async (em) => {
      const org: {
        snapshot_version: string;
        snapshot_key_sealed: string | null;
        snapshot_key_version: number;
      }[] = await query(
        em,
        sql`SELECT snapshot_version, snapshot_key_sealed, snapshot_key_version FROM organizations
            WHERE id = ${orgId}`,
      );
      const version = Number(org[0]?.snapshot_version ?? 0);
      const sealed = org[0]?.snapshot_key_sealed;
      const key: SealingKey | null =
        sealed && this.box.available
          ? {
              key: Buffer.from(this.box.open(sealed, snapshotKeyAad(orgId)), 'base64url'),
              version: Number(org[0]?.snapshot_key_version),
            }
          : null;
      const writer = new WireSnapshotWriter();
      const generatedAt = new Date().toISOString();
      const keys = await wireKeys(em, orgId, writer);
      const credentials = await snapshotCredentials(em, orgId, (r) =>
        this.reseal(key ?? this.noKey(), r.id, r.secret_sealed),
      );
      const models = await snapshotModels(em, orgId);
      const mcpServers = await snapshotMcpServers(em, orgId, (r) =>
        this.reseal(key ?? this.noKey(), r.id, r.headers_sealed),
      );
      const people = await snapshotPeople(em, orgId);
      const ephemeralTokens = await snapshotEphemeralTokens(em, orgId);
      return writer.finish(
        { orgId, version, generatedAt, credentials, models, mcpServers, people, ephemeralTokens },
        keys,
      );
    });
  }

  /**
   * The newest version whose deltas have all been published: what gateways can reach by deltas alone.
   * Heartbeats carry this, so a gateway does not resync for a delta that is merely a few ms from Redis.
   */
  async publishedVersion(orgId: string, em: EntityManager = this.db.manager): Promise<number> {
    const rows: { version: string }[] = await query(
      em,
      sql`SELECT coalesce(
          (SELECT min(from_version) FROM snapshot_outbox WHERE org_id = o.id AND published_at IS NULL),
          o.snapshot_version) AS version
         FROM organizations o WHERE o.id = ${orgId}`,
    );
    return Number(rows[0]?.version ?? 0);
  }

  /**
   * Opens a secret sealed at rest (master key: a credential's secret, an MCP server's headers JSON) and
   * seals it for gateways under the organization's snapshot key, with the key's generation as the sealed
   * version and the same associated data (the row id).
   */
  private reseal(sealing: SealingKey, id: string, atRest: string): string {
    return seal(sealing.key, this.box.open(atRest, id), sealing.version, id);
  }

  /** Without a master key nothing sealed can be resealed: the 409 that says how to configure it. */
  private noKey(): never {
    this.box.require();
    throw new Error('unreachable: the master key is set but the snapshot key was not read');
  }
}
