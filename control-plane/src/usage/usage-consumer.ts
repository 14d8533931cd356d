import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { USAGE_CONSUMER_GROUP, USAGE_STREAM, type UsageEvent } from '@portcullis/shared/usage';
import Redis from 'ioredis';
import { settleWithin } from '../common/deadline';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { parseUsageEntry } from './usage-event';
import { UsageIngestedEvents } from './usage-ingested.events';
import { UsageWriter } from './usage-writer';

/** Entries read per XREADGROUP: one Postgres transaction each. */
const BATCH = 500;
/** How long one XREADGROUP waits for new entries. */
const BLOCK_MS = 2000;
/** Own pending entries and other consumers' stale ones are looked at this often (and at start). */
const PENDING_EVERY_MS = 10_000;
/** The stream is trimmed to its unacknowledged part, and idle consumers are forgotten, this often. */
const MAINTENANCE_EVERY_MS = 60_000;
/** A consumer with nothing pending and idle this long (a process that went away) is deleted. */
const DEAD_CONSUMER_IDLE_MS = 3_600_000;
const MAX_BACKOFF_MS = 5000;
const SHUTDOWN_GRACE_MS = 10_000;

type StreamEntry = [id: string, fields: string[] | null];
type XReadReply = [stream: string, entries: StreamEntry[]][] | null;

export interface UsageConsumerStats {
  ingested: number;
  duplicates: number;
  invalid: number;
  refused: number;
  batches: number;
}

/**
 * Reads usage events from the Redis stream with a consumer group and writes them to Postgres. An
 * entry is acknowledged (and deleted from the stream) only after the transaction holding it commits;
 * request rows are keyed by the event id, so an entry delivered again after a crash between commit
 * and acknowledgement is stored and counted once. Entries a crashed consumer left pending are taken
 * over (own ones at once, other consumers' once idle for USAGE_CLAIM_IDLE_MS). Redis or Postgres
 * down: back off and retry, nothing is acknowledged; the API keeps serving.
 */
@Injectable()
export class UsageConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('UsageConsumer');
  private readonly redis: Redis;
  readonly name: string;
  readonly stats: UsageConsumerStats = { ingested: 0, duplicates: 0, invalid: 0, refused: 0, batches: 0 };
  private running = false;
  private loop: Promise<void> | null = null;
  private groupReady = false;
  private nextPendingAt = 0;
  private nextMaintenanceAt = 0;
  private failing = false;
  private faultArmed: boolean;
  private wake: (() => void) | null = null;
  private readonly stopping = new AbortController();
  private inBlockingRead = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly writer: UsageWriter,
    private readonly ingested: UsageIngestedEvents,
  ) {
    this.name = config.USAGE_CONSUMER_NAME ?? `${hostname()}:${config.PORT}`;
    this.faultArmed = config.USAGE_TEST_FAULT !== 'none';
    this.redis = new Redis(config.REDIS_URL, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      // Above the blocking read's own wait.
      commandTimeout: BLOCK_MS + 5000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    });
    this.redis.on('error', () => undefined); // reported by the loop, once per outage
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.redis.connect().catch(() => undefined);
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    this.wake?.();
    // A blocking read is ended at once; a batch being written and acknowledged finishes first (for at
    // most SHUTDOWN_GRACE_MS: what is not acknowledged by then is read again after the restart).
    if (this.inBlockingRead) this.redis.disconnect();
    await Promise.race([this.loop, delay(SHUTDOWN_GRACE_MS)]);
    this.redis.disconnect();
    await settleWithin(this.ingested.drain(), SHUTDOWN_GRACE_MS);
  }

  private async run(): Promise<void> {
    let backoff = 200;
    while (this.running) {
      try {
        await this.step();
        if (this.failing) this.logger.warn('usage ingestion resumed');
        this.failing = false;
        backoff = 200;
      } catch (err) {
        if (!this.running) break;
        const message = (err as Error).message ?? String(err);
        if (/NOGROUP/.test(message)) this.groupReady = false;
        // After any failure the entries read so far are still pending with us: read them again first.
        this.nextPendingAt = 0;
        if (!this.failing) {
          this.logger.warn(`usage ingestion is paused (${message}); retrying with backoff`);
          this.failing = true;
        }
        await delay(backoff, undefined, { signal: this.stopping.signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private async step(): Promise<void> {
    if (this.redis.status !== 'ready') {
      if (this.redis.status === 'end' || this.redis.status === 'wait')
        this.redis.connect().catch(() => undefined);
      await this.readyWithin(2000);
    }
    if (!this.groupReady) await this.ensureGroup();
    const now = Date.now();
    if (now >= this.nextPendingAt) {
      await this.drainOwnPending();
      await this.claimStale();
      this.nextPendingAt = Date.now() + PENDING_EVERY_MS;
    }
    if (now >= this.nextMaintenanceAt) {
      await this.maintenance();
      this.nextMaintenanceAt = Date.now() + MAINTENANCE_EVERY_MS;
    }
    if (!this.running) return;
    this.inBlockingRead = true;
    let reply: XReadReply;
    try {
      reply = (await this.redis.xreadgroup(
        'GROUP',
        USAGE_CONSUMER_GROUP,
        this.name,
        'COUNT',
        BATCH,
        'BLOCK',
        BLOCK_MS,
        'STREAMS',
        USAGE_STREAM,
        '>',
      )) as XReadReply;
    } finally {
      this.inBlockingRead = false;
    }
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length > 0) await this.handle(entries);
  }

  private async readyWithin(ms: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.redis.on('ready', done);
      this.wake = done;
    });
    this.wake = null;
    if ((this.redis.status as string) !== 'ready')
      throw new Error(`Redis is unreachable (${this.redis.status})`);
  }

  /** From the stream's start, so events gateways wrote before the first control plane ran are read. */
  private async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', USAGE_STREAM, USAGE_CONSUMER_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
    this.groupReady = true;
  }

  /** Entries delivered to this consumer name and never acknowledged (a previous life of this process). */
  private async drainOwnPending(): Promise<void> {
    for (;;) {
      const reply = (await this.redis.xreadgroup(
        'GROUP',
        USAGE_CONSUMER_GROUP,
        this.name,
        'COUNT',
        BATCH,
        'STREAMS',
        USAGE_STREAM,
        '0',
      )) as XReadReply;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) return;
      await this.handle(entries);
      if (!this.running) return;
    }
  }

  /** Other consumers' entries, pending for longer than USAGE_CLAIM_IDLE_MS (a crashed control plane). */
  private async claimStale(): Promise<void> {
    let cursor = '0-0';
    do {
      const reply = (await this.redis.xautoclaim(
        USAGE_STREAM,
        USAGE_CONSUMER_GROUP,
        this.name,
        this.config.USAGE_CLAIM_IDLE_MS,
        cursor,
        'COUNT',
        BATCH,
      )) as [string, StreamEntry[], string[]?];
      cursor = reply[0];
      const entries = reply[1];
      if (entries.length > 0) await this.handle(entries);
    } while (cursor !== '0-0' && this.running);
  }

  /**
   * Entries are deleted as they are acknowledged; this trims anything older than the oldest entry
   * still pending (or not yet delivered), e.g. after an XDEL that did not reach Redis, and forgets
   * consumer names of processes long gone.
   */
  private async maintenance(): Promise<void> {
    const groups = (await this.redis.xinfo('GROUPS', USAGE_STREAM)) as unknown[][];
    const group = groups.map(pairs).find((g) => g.name === USAGE_CONSUMER_GROUP);
    const lastDelivered =
      typeof group?.['last-delivered-id'] === 'string' ? group['last-delivered-id'] : null;
    const pending = (await this.redis.xpending(USAGE_STREAM, USAGE_CONSUMER_GROUP)) as [
      number,
      string | null,
      string | null,
      unknown,
    ];
    const oldestPending = pending[0] > 0 ? pending[1] : null;
    const minId = oldestPending ?? lastDelivered;
    if (minId && minId !== '0-0') await this.redis.xtrim(USAGE_STREAM, 'MINID', minId);
    const consumers = (await this.redis.xinfo(
      'CONSUMERS',
      USAGE_STREAM,
      USAGE_CONSUMER_GROUP,
    )) as unknown[][];
    for (const c of consumers.map(pairs)) {
      if (
        c.name !== this.name &&
        c.pending === 0 &&
        typeof c.idle === 'number' &&
        c.idle > DEAD_CONSUMER_IDLE_MS
      ) {
        await this.redis.xgroup('DELCONSUMER', USAGE_STREAM, USAGE_CONSUMER_GROUP, String(c.name));
      }
    }
  }

  /** One batch: validate, write in one transaction, then acknowledge and delete every entry. */
  private async handle(entries: StreamEntry[]): Promise<void> {
    const events: UsageEvent[] = [];
    let invalid = 0;
    for (const [id, fields] of entries) {
      const parsed = parseUsageEntry(fields);
      if (parsed.ok) events.push(parsed.event);
      else {
        invalid++;
        this.logger.warn(`dropped usage entry ${id}: ${parsed.reason}`);
      }
    }
    const fault = this.faultArmed ? this.config.USAGE_TEST_FAULT : 'none';
    const result = await this.writer.write(
      events,
      fault === 'kill_before_commit' && events.length > 0 ? () => this.die() : undefined,
    );
    if (fault === 'kill_after_commit' && events.length > 0) this.die();

    const ids = entries.map(([id]) => id);
    await this.redis
      .multi()
      .xack(USAGE_STREAM, USAGE_CONSUMER_GROUP, ...ids)
      .xdel(USAGE_STREAM, ...ids)
      .exec();

    this.stats.batches++;
    this.stats.ingested += result.inserted;
    this.stats.duplicates += result.duplicates;
    this.stats.invalid += invalid;
    this.stats.refused += result.refused.length;
    for (const e of result.refused) {
      this.logger.warn(
        `refused usage event ${e.id}: key ${e.keyId} does not belong to organization ${e.orgId}`,
      );
    }
    if (invalid > 0 || result.refused.length > 0) {
      this.logger.warn(
        `usage events dropped so far: ${this.stats.invalid} invalid, ${this.stats.refused} refused`,
      );
    }
    if (result.byOrg.size > 0) this.ingested.emit(result.byOrg);
  }

  /** Test hook (USAGE_TEST_FAULT): die like a crash, with the batch read and not acknowledged. */
  private die(): never {
    this.faultArmed = false;
    process.kill(process.pid, 'SIGKILL');
    throw new Error('unreachable');
  }
}

/** XINFO answers `[name, value, name, value, …]`. */
function pairs(list: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = list[i + 1];
  return out;
}
