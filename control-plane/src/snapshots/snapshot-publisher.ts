import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type SnapshotChange, type SnapshotMessage, snapshotChannel } from '@portcullis/shared/snapshot';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { settleWithin } from '../common/deadline';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { execute, query, sql } from '../database/sql';
import { RedisService } from '../redis/redis.service';
import { OUTBOX_NOTIFY_CHANNEL } from './change-recorder';
import { SigningKeyService } from './signing-key.service';

const POLL_MS = 50;
const HEARTBEAT_MS = 2000;
const BATCH = 200;
/** Published rows are kept this long (for debugging a gateway's view), then deleted. */
const KEEP_PUBLISHED = '1 hour';
const PUBLISHER_LOCK = 0x50_43_50_42; // 'PCPB'

interface OutboxRow {
  id: string;
  org_id: string;
  from_version: string;
  to_version: string;
  changes: SnapshotChange[];
}

/**
 * Sends the snapshot outbox to Redis pub/sub, in order, and a heartbeat of every organization's
 * version. Woken by Postgres NOTIFY on commit, and by a 50 ms poll as a safety net.
 *
 * Several control-plane instances may run: a batch runs under a transaction-scoped advisory lock, so
 * one instance publishes at a time and rows go out in id order (per organization, id order is version
 * order, because every version bump takes the organization row lock). Rows are marked published in
 * the same transaction; a Redis failure mid-batch leaves the rest for the next try. Redis pub/sub is
 * at-most-once anyway: gateways detect gaps by version and resync.
 */
@Injectable()
export class SnapshotPublisher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SnapshotPublisher');
  private poll: NodeJS.Timeout | null = null;
  private beat: NodeJS.Timeout | null = null;
  private listener: Client | null = null;
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private lastError = '';
  private beats = 0;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly redis: RedisService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly signer: SigningKeyService,
  ) {}

  /**
   * The message as published: signed by the control plane's key. Without a master key there is no
   * signing key, but then no gateway can register either; the message goes out unsigned and any gateway
   * ignores it.
   */
  private async text(message: SnapshotMessage): Promise<string> {
    const body = JSON.stringify(message);
    return this.signer.available ? this.signer.signMessage(body) : body;
  }

  onApplicationBootstrap(): void {
    this.redis.start();
    this.poll = setInterval(() => this.kick(), POLL_MS);
    this.beat = setInterval(() => {
      this.heartbeat().catch((err: unknown) => this.fail('heartbeat', err));
    }, HEARTBEAT_MS);
    void this.listen();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    if (this.beat) clearInterval(this.beat);
    await settleWithin(this.draining ?? Promise.resolve(), 5000);
    await settleWithin(this.listener?.end() ?? Promise.resolve(), 2000);
    this.listener = null;
  }

  /** Starts a drain, or asks the running one to go again (so a commit during a drain is not missed). */
  kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .then(() => {
        this.lastError = '';
      })
      .catch((err: unknown) => this.fail('publish', err))
      .finally(() => {
        this.draining = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    if (!this.redis.isUp) return;
    const pending: unknown[] = await query(
      this.db,
      sql`SELECT 1 FROM snapshot_outbox WHERE published_at IS NULL LIMIT 1`,
    );
    if (pending.length === 0) return;
    while (!this.stopped && (await this.publishBatch()) === BATCH);
  }

  /** Publishes up to BATCH rows in id order; returns how many went out. */
  private publishBatch(): Promise<number> {
    return this.db.transaction(async (em) => {
      const lock: { ok: boolean }[] = await query(
        em,
        sql`SELECT pg_try_advisory_xact_lock(${PUBLISHER_LOCK}) AS ok`,
      );
      if (!lock[0]?.ok) return 0; // another instance is publishing
      const rows: OutboxRow[] = await query(
        em,
        sql`SELECT id, org_id, from_version, to_version, changes FROM snapshot_outbox
          WHERE published_at IS NULL ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
      );
      const sent: string[] = [];
      let failure: unknown = null;
      for (const r of rows) {
        const message: SnapshotMessage = {
          kind: 'delta',
          orgId: r.org_id,
          fromVersion: Number(r.from_version),
          toVersion: Number(r.to_version),
          changes: r.changes,
        };
        try {
          await this.redis.client.publish(snapshotChannel(r.org_id), await this.text(message));
        } catch (err) {
          failure = err;
          break; // keep order: nothing after a failed row goes out before it
        }
        sent.push(r.id);
      }
      if (sent.length > 0) {
        await execute(
          em,
          sql`UPDATE snapshot_outbox SET published_at = now() WHERE id = ANY(${sent}::bigint[])`,
        );
      }
      if (failure) this.fail('publish', failure);
      return failure ? 0 : sent.length;
    });
  }

  /** Every organization's published version, so an idle gateway still notices a gap. */
  private async heartbeat(): Promise<void> {
    if (this.stopped || !this.redis.isUp) return;
    const rows: { id: string; version: string }[] = await query(
      this.db,
      sql`SELECT o.id, coalesce(
          (SELECT min(from_version) FROM snapshot_outbox s WHERE s.org_id = o.id
            AND s.published_at IS NULL),
          o.snapshot_version) AS version
         FROM organizations o`,
    );
    const at = new Date().toISOString();
    const pipeline = this.redis.client.pipeline();
    for (const r of rows) {
      const message: SnapshotMessage = { kind: 'heartbeat', orgId: r.id, version: Number(r.version), at };
      pipeline.publish(snapshotChannel(r.id), await this.text(message));
    }
    await pipeline.exec();
    if (++this.beats % 30 === 0) {
      await execute(
        this.db,
        sql`DELETE FROM snapshot_outbox WHERE published_at IS NOT NULL
            AND published_at < now() - ${KEEP_PUBLISHED}::interval`,
      );
    }
  }

  /** LISTEN on a dedicated connection; reconnects after a second if it drops. The poll covers the gap. */
  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.DATABASE_URL });
    client.on('notification', () => this.kick());
    client.on('error', () => {
      if (this.listener !== client) return;
      this.listener = null;
      client.end().catch(() => undefined);
      setTimeout(() => void this.listen(), 1000).unref();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.listener = client;
    } catch {
      await client.end().catch(() => undefined);
      setTimeout(() => void this.listen(), 1000).unref();
    }
  }

  /** Logs a failure once until it changes or clears; Redis outages are logged by RedisService. */
  private fail(what: string, err: unknown): void {
    if (this.stopped || !this.redis.isUp) return;
    const text = `${what}: ${err instanceof Error ? err.message : String(err)}`;
    if (text === this.lastError) return;
    this.lastError = text;
    this.logger.warn(`snapshot ${text}`);
  }
}
