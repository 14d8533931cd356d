import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { orgOfUsageStream, usageStreamOf } from '@portcullis/shared/redis-keys';
import {
  type DeadLetterClass,
  USAGE_CONSUMER_GROUP,
  USAGE_DEAD_LETTER_COUNTS,
  USAGE_DEAD_LETTER_MAXLEN,
  USAGE_DEAD_LETTER_STREAM,
  USAGE_DEAD_LETTER_VALUE_MAX,
  type UsageEvent,
} from '@portcullis/shared/usage';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { settleWithin } from '../common/deadline';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { query, sql } from '../database/sql';
import { type Refusal, readEntryJson, type TimeWindow, validateUsageJson } from './usage-event';
import { UsageIngestedEvents } from './usage-ingested.events';
import { UsageSignatureVerifier } from './usage-signature';
import { UsageStats } from './usage-stats';
import { emptyWriteResult, mergeWriteResults, UsageWriter, type WriteResult } from './usage-writer';

/** Entries read per XREADGROUP: one Postgres transaction each. */
const BATCH = 500;
/** How long one XREADGROUP waits for new entries. */
const BLOCK_MS = 2000;
/** Own pending entries and other consumers' stale ones are looked at this often (and at start). */
const PENDING_EVERY_MS = 10_000;
/** The organizations (hence usage streams) are listed again this often. */
const STREAMS_EVERY_MS = 2000;
/** The stream is trimmed to its unacknowledged part, and idle consumers are forgotten, this often. */
const MAINTENANCE_EVERY_MS = 60_000;
/** A consumer with nothing pending and idle this long (a process that went away) is deleted. */
const DEAD_CONSUMER_IDLE_MS = 3_600_000;
const MAX_BACKOFF_MS = 5000;
const SHUTDOWN_GRACE_MS = 10_000;

/** Original field/value pairs a dead-letter entry keeps at most (a gateway's entry has one). */
const DEAD_LETTER_MAX_PAIRS = 32;
const DEAD_LETTER_NAME_MAX = 256;
/**
 * SQLSTATE classes one event can cause by itself: data exceptions (22: out of range, bad text…),
 * integrity constraints (23) and program limits (54: e.g. an index row too large). Anything else
 * (connections, serialization, a bug of ours) pauses ingestion instead of dead-lettering.
 */
const EVENT_FAULT_CLASSES = new Set(['22', '23', '54']);

/**
 * One step: dead-letter entries (`XADD … MAXLEN ~`, one count each in the counts hash), then
 * acknowledge and delete every entry of the batch. A Lua script so that a failed dead-letter write
 * (a Redis error aborts the script) leaves the batch unacknowledged, to be read and settled again:
 * an entry is never acknowledged without being counted or dead-lettered.
 * KEYS: usage stream, dead-letter stream, counts. ARGV: group, maxlen, n ids, the ids, then per
 * dead-lettered entry: its class, n field/value tokens, the tokens.
 */
const SETTLE_LUA = `
local nids = tonumber(ARGV[3])
local i = 4 + nids
local dead = false
while i <= #ARGV do
  local n = tonumber(ARGV[i + 1])
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, i + 2, i + 1 + n))
  redis.call('HINCRBY', KEYS[3], ARGV[i], 1)
  dead = true
  i = i + 2 + n
end
if nids > 0 then
  redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 4, 3 + nids))
  redis.call('XDEL', KEYS[1], unpack(ARGV, 4, 3 + nids))
end
if dead then return redis.call('HGETALL', KEYS[3]) end
return false
`;

type StreamEntry = [id: string, fields: string[] | null];
type XReadReply = [stream: string, entries: StreamEntry[]][] | null;
type DeadEntry = Refusal & { entry: StreamEntry };
type SettleCommand = {
  usageSettle(...args: (string | number)[]): Promise<string[] | null>;
};

/** The SQLSTATE of a database error an event can cause by itself, or null (see EVENT_FAULT_CLASSES). */
export function eventFault(err: unknown): string | null {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return null;
  return EVENT_FAULT_CLASSES.has(code.slice(0, 2)) ? code : null;
}

/**
 * Reads usage events from every organization's Redis stream (`usageStreamOf`) with a consumer group
 * and writes them to Postgres; an event counts only if a gateway of that organization signed it
 * (usage-signature.ts). An
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
  private readonly window: TimeWindow;
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
  /** Every organization's usage stream, each with the consumer group created. */
  private streams: string[] = [];
  private nextStreamsAt = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly writer: UsageWriter,
    private readonly ingested: UsageIngestedEvents,
    private readonly stats: UsageStats,
    private readonly signatures: UsageSignatureVerifier,
    @InjectDataSource() private readonly db: DataSource,
  ) {
    this.name = config.USAGE_CONSUMER_NAME ?? `${hostname()}:${config.PORT}`;
    this.window = {
      // Never older than raw rows are kept: past USAGE_RETENTION_DAYS an event's row (its id, which makes
      // a redelivery a duplicate) may be gone, and a replayed genuine event would count a second time.
      maxAgeMs: Math.min(config.USAGE_EVENT_MAX_AGE_DAYS, config.USAGE_RETENTION_DAYS) * 86_400_000,
      maxFutureMs: config.USAGE_EVENT_MAX_FUTURE_SECONDS * 1000,
    };
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
    this.redis.defineCommand('usageSettle', { numberOfKeys: 3, lua: SETTLE_LUA });
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
        this.stats.paused = false;
        backoff = 200;
      } catch (err) {
        if (!this.running) break;
        const message = (err as Error).message ?? String(err);
        if (/NOGROUP/.test(message)) {
          this.groupReady = false;
          this.streams = [];
        }
        // After any failure the entries read so far are still pending with us: read them again first.
        this.nextPendingAt = 0;
        if (!this.failing) {
          this.logger.warn(`usage ingestion is paused (${message}); retrying with backoff`);
          this.failing = true;
        }
        this.stats.paused = true;
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
    const now = Date.now();
    if (!this.groupReady || now >= this.nextStreamsAt) await this.ensureGroups();
    if (this.streams.length === 0) {
      await delay(BLOCK_MS, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      return;
    }
    if (now >= this.nextPendingAt) {
      await this.drainOwnPending();
      await this.claimStale();
      this.stats.storedCounts(await this.redis.hgetall(USAGE_DEAD_LETTER_COUNTS).then(flatten));
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
        ...this.streams,
        ...this.streams.map(() => '>'),
      )) as XReadReply;
    } finally {
      this.inBlockingRead = false;
    }
    for (const [stream, entries] of reply ?? []) if (entries.length > 0) await this.handle(stream, entries);
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

  /**
   * One stream per organization; the group is created from the stream's start, so events gateways
   * wrote before the first control plane ran (or before their organization was listed) are read.
   */
  private async ensureGroups(): Promise<void> {
    const orgs: { id: string }[] = await query(this.db, sql`SELECT id FROM organizations ORDER BY id`);
    const known = new Set(this.groupReady ? this.streams : []);
    const streams: string[] = [];
    for (const { id } of orgs) {
      const stream = usageStreamOf(id);
      if (!known.has(stream)) {
        try {
          await this.redis.xgroup('CREATE', stream, USAGE_CONSUMER_GROUP, '0', 'MKSTREAM');
        } catch (err) {
          if (!/BUSYGROUP/.test((err as Error).message)) throw err;
        }
      }
      streams.push(stream);
    }
    this.streams = streams;
    this.groupReady = true;
    this.nextStreamsAt = Date.now() + STREAMS_EVERY_MS;
  }

  /** Entries delivered to this consumer name and never acknowledged (a previous life of this process). */
  private async drainOwnPending(): Promise<void> {
    for (const stream of this.streams) {
      for (;;) {
        const reply = (await this.redis.xreadgroup(
          'GROUP',
          USAGE_CONSUMER_GROUP,
          this.name,
          'COUNT',
          BATCH,
          'STREAMS',
          stream,
          '0',
        )) as XReadReply;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) break;
        await this.handle(stream, entries);
        if (!this.running) return;
      }
    }
  }

  /** Other consumers' entries, pending for longer than USAGE_CLAIM_IDLE_MS (a crashed control plane). */
  private async claimStale(): Promise<void> {
    for (const stream of this.streams) {
      if (!this.running) return;
      await this.claimStaleOf(stream);
    }
  }

  private async claimStaleOf(stream: string): Promise<void> {
    let cursor = '0-0';
    do {
      const reply = (await this.redis.xautoclaim(
        stream,
        USAGE_CONSUMER_GROUP,
        this.name,
        this.config.USAGE_CLAIM_IDLE_MS,
        cursor,
        'COUNT',
        BATCH,
      )) as [string, StreamEntry[], string[]?];
      cursor = reply[0];
      const entries = reply[1];
      if (entries.length > 0) await this.handle(stream, entries);
    } while (cursor !== '0-0' && this.running);
  }

  /**
   * Entries are deleted as they are acknowledged; this trims anything older than the oldest entry
   * still pending (or not yet delivered), e.g. after an XDEL that did not reach Redis, and forgets
   * consumer names of processes long gone.
   */
  private async maintenance(): Promise<void> {
    for (const stream of this.streams) {
      if (!this.running) return;
      await this.maintain(stream);
    }
  }

  private async maintain(stream: string): Promise<void> {
    const groups = (await this.redis.xinfo('GROUPS', stream)) as unknown[][];
    const group = groups.map(pairs).find((g) => g.name === USAGE_CONSUMER_GROUP);
    const lastDelivered =
      typeof group?.['last-delivered-id'] === 'string' ? group['last-delivered-id'] : null;
    const pending = (await this.redis.xpending(stream, USAGE_CONSUMER_GROUP)) as [
      number,
      string | null,
      string | null,
      unknown,
    ];
    const oldestPending = pending[0] > 0 ? pending[1] : null;
    const minId = oldestPending ?? lastDelivered;
    if (minId && minId !== '0-0') await this.redis.xtrim(stream, 'MINID', minId);
    const consumers = (await this.redis.xinfo('CONSUMERS', stream, USAGE_CONSUMER_GROUP)) as unknown[][];
    for (const c of consumers.map(pairs)) {
      if (
        c.name !== this.name &&
        c.pending === 0 &&
        typeof c.idle === 'number' &&
        c.idle > DEAD_CONSUMER_IDLE_MS
      ) {
        await this.redis.xgroup('DELCONSUMER', stream, USAGE_CONSUMER_GROUP, String(c.name));
      }
    }
  }

  /**
   * One batch: validate, write in one transaction, then in one step dead-letter what is not counted
   * and acknowledge and delete every entry. Nothing in an entry can stop the entries behind it: what
   * fails validation or matching is dead-lettered, and a batch the database refuses is written again
   * one event at a time (`writeIsolating`).
   */
  private async handle(stream: string, entries: StreamEntry[]): Promise<void> {
    const now = Date.now();
    const streamOrg = orgOfUsageStream(stream) ?? '';
    const events: UsageEvent[] = [];
    const entryOf = new Map<UsageEvent, StreamEntry>();
    const dead: DeadEntry[] = [];
    const read: { entry: StreamEntry; json: Record<string, unknown> }[] = [];
    for (const entry of entries) {
      const r = readEntryJson(entry[1]);
      if (r.ok) read.push({ entry, json: r.json });
      else dead.push({ entry, class: r.class, reason: r.reason });
    }
    // Who signed it before what it says: an event no gateway of the organization signed is not read further.
    const signers = await this.signatures.signers(read.map((r) => r.json));
    for (const { entry, json } of read) {
      const unsigned = this.signatures.check(json, streamOrg, signers);
      if (unsigned) {
        dead.push({ entry, ...unsigned });
        continue;
      }
      const parsed = validateUsageJson(json, now, this.window);
      if (parsed.ok) {
        events.push(parsed.event);
        entryOf.set(parsed.event, entry);
      } else dead.push({ entry, class: parsed.class, reason: parsed.reason });
    }
    const fault = this.faultArmed ? this.config.USAGE_TEST_FAULT : 'none';
    const result = await this.writeIsolating(
      events,
      fault === 'kill_before_commit' && events.length > 0 ? () => this.die() : undefined,
    );
    if (fault === 'kill_after_commit' && events.length > 0) this.die();
    for (const r of result.refused) {
      const entry = entryOf.get(r.event);
      if (entry) dead.push({ entry, class: r.class, reason: r.reason });
    }

    await this.settle(stream, entries, dead);

    this.stats.batches++;
    this.stats.ingested += result.inserted;
    this.stats.duplicates += result.duplicates;
    const classes = new Map<DeadLetterClass, number>();
    for (const d of dead) {
      this.stats.deadLettered[d.class]++;
      classes.set(d.class, (classes.get(d.class) ?? 0) + 1);
    }
    if (dead.length > 0) {
      // Classes and counts only: the entries themselves are in the dead-letter stream.
      const summary = [...classes].map(([c, n]) => `${n} ${c}`).join(', ');
      this.logger.warn(`usage entries dead-lettered to ${USAGE_DEAD_LETTER_STREAM}: ${summary}`);
    }
    if (result.byOrg.size > 0) this.ingested.emit(result.byOrg);
  }

  /**
   * The batch in one transaction; if the database refuses it for something an event can cause (a
   * constraint, a value out of range), each event alone: the one that still fails is refused with its
   * SQLSTATE (never the message, which may quote values), the others are counted. Any other failure
   * (Postgres down, a serialization failure) is thrown: the batch stays pending and is retried whole.
   */
  private async writeIsolating(events: UsageEvent[], beforeCommit?: () => void): Promise<WriteResult> {
    try {
      return await this.writer.write(events, beforeCommit);
    } catch (err) {
      const code = eventFault(err);
      if (code === null) throw err;
      this.stats.isolatedBatches++;
      this.logger.warn(
        `the database refused a batch of ${events.length} usage events (SQLSTATE ${code}); writing them one at a time`,
      );
      const result = emptyWriteResult();
      for (const e of events) {
        try {
          mergeWriteResults(result, await this.writer.write([e]));
        } catch (one) {
          const alone = eventFault(one);
          if (alone === null) throw one;
          result.refused.push({
            event: e,
            class: 'database',
            reason: `the database refused the event (SQLSTATE ${alone})`,
          });
        }
      }
      return result;
    }
  }

  /** Dead-letters `dead` and acknowledges and deletes every entry, in one step (SETTLE_LUA). */
  private async settle(stream: string, entries: StreamEntry[], dead: DeadEntry[]): Promise<void> {
    const args: (string | number)[] = [
      stream,
      USAGE_DEAD_LETTER_STREAM,
      USAGE_DEAD_LETTER_COUNTS,
      USAGE_CONSUMER_GROUP,
      USAGE_DEAD_LETTER_MAXLEN,
      entries.length,
      ...entries.map(([id]) => id),
    ];
    const at = new Date().toISOString();
    for (const d of dead) {
      const tokens = this.deadLetterFields(d, at, stream);
      args.push(d.class, tokens.length, ...tokens);
    }
    const counts = await (this.redis as unknown as SettleCommand).usageSettle(...args);
    if (Array.isArray(counts)) this.stats.storedCounts(counts);
  }

  /** Our fields first (readers take the first of a name), then the entry's own, capped. */
  private deadLetterFields(d: DeadEntry, at: string, stream: string): string[] {
    const [id, fields] = d.entry;
    const out = [
      'dl_class',
      d.class,
      'dl_reason',
      d.reason,
      'dl_at',
      at,
      'dl_entry',
      id,
      'dl_consumer',
      this.name,
      'dl_stream',
      stream,
    ];
    const original = fields ?? [];
    const pairs = Math.floor(original.length / 2);
    let cut = 0;
    const kept: string[] = [];
    for (let i = 0; i < Math.min(pairs, DEAD_LETTER_MAX_PAIRS); i++) {
      const name = original[2 * i] as string;
      const value = original[2 * i + 1] as string;
      if (name.length > DEAD_LETTER_NAME_MAX || value.length > USAGE_DEAD_LETTER_VALUE_MAX) cut++;
      kept.push(name.slice(0, DEAD_LETTER_NAME_MAX), value.slice(0, USAGE_DEAD_LETTER_VALUE_MAX));
    }
    const dropped = Math.max(0, pairs - DEAD_LETTER_MAX_PAIRS);
    if (cut > 0 || dropped > 0) out.push('dl_truncated', `${cut} cut, ${dropped} dropped`);
    return [...out, ...kept];
  }

  /** Test hook (USAGE_TEST_FAULT): die like a crash, with the batch read and not acknowledged. */
  private die(): never {
    this.faultArmed = false;
    process.kill(process.pid, 'SIGKILL');
    throw new Error('unreachable');
  }
}

/** HGETALL through ioredis answers an object; the stats take the wire's flat list. */
const flatten = (o: Record<string, string>): string[] => Object.entries(o).flat();

/** XINFO answers `[name, value, name, value, …]`. */
function pairs(list: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = list[i + 1];
  return out;
}
