import { usageStreamOf } from '@portcullis/shared/redis-keys';
import type { UsageEvent } from '@portcullis/shared/usage';
import { signUsageEvent, USAGE_SIGNATURE_FIELD } from '@portcullis/shared/usage-signing';
import type { Redis } from 'ioredis';
import type { GatewayMetrics, UsageGauges } from '../metrics.js';
import { SingleFlight } from '../single-flight.js';
import type { ReplaySegment, UsageSpool } from './spool.js';

/** Where the meter hands finished requests' usage events; `emit` never blocks and never throws. */
export interface UsageSink {
  emit(event: UsageEvent): void;
}

export interface UsageEmitterOptions {
  /** Null: no Redis at all (every event is spooled). */
  redis: Redis | null;
  /** Null: no spool (events Redis refuses are dropped and counted). */
  spool: UsageSpool | null;
  metrics: GatewayMetrics;
  flushIntervalMs?: number;
  /** Events per XADD pipeline; a full batch is flushed at once instead of waiting for the timer. */
  batchSize?: number;
}

/** Who this gateway is to the control plane (from its registration, or its cached credentials). */
export interface UsageIdentity {
  /** The gateway's id (`GET /orgs/:org/gateways`), stamped into every event as `gatewayId`. */
  gatewayId: string;
  /** Its organization: the events go to `usageStreamOf(orgId)`. */
  orgId: string;
  /** The usage signing secret (32 bytes), held in memory only. */
  secret: Buffer;
}

/** Replayed spool batches per flush, so a large spool drains fast without starving live events. */
const REPLAY_BATCHES_PER_FLUSH = 16;

/**
 * Usage events from the request path to the organization's Redis stream `usageStreamOf(orgId)` (field
 * `e` = the JSON event, stamped with the gateway's id and signed with its usage signing secret, see
 * @portcullis/shared/usage-signing; no MAXLEN: the control plane trims after consuming). Signing
 * happens here, in the flush loop, never on the request path. Until the gateway knows who it is
 * (`setIdentity`), events are spooled unsigned; a replayed line without a signature is signed when it
 * is sent, so a spool written before a restart still verifies. `emit` only pushes to an in-memory batch; a
 * single-flight loop, every `flushIntervalMs` (50) or as soon as `batchSize` (256) events wait, XADDs
 * them in one pipeline. Events Redis does not take (down, not ready, a failed XADD) go to the spool
 * on disk in one append per batch, and the spool is replayed in order whenever Redis is ready (also
 * right after a restart); a segment is deleted once every event in it was XADDed.
 *
 * Delivery: an event is XADDed once in normal operation. A pipeline that fails as a whole after Redis
 * applied part of it, or a crash in the middle of replaying a segment, can deliver an event twice;
 * the consumer deduplicates by event id.
 */
export class UsageEmitter implements UsageSink, UsageGauges {
  readonly #redis: Redis | null;
  readonly #spool: UsageSpool | null;
  readonly #metrics: GatewayMetrics;
  readonly #batchSize: number;
  #buffer: UsageEvent[] = [];
  #inFlight = 0;
  #timer: NodeJS.Timeout | null = null;
  readonly #flush = new SingleFlight(
    async () => {
      await this.#drainBuffer();
      if (!this.#closed) await this.#replaySome();
    },
    { onError: (err) => console.error(`gateway: usage flush failed (${(err as Error).message})`) },
  );
  #soon = false;
  #replay: ReplaySegment | null = null;
  #closed = false;
  #identity: UsageIdentity | null = null;

  constructor(opts: UsageEmitterOptions) {
    this.#redis = opts.redis;
    this.#spool = opts.spool;
    this.#metrics = opts.metrics;
    this.#batchSize = opts.batchSize ?? 256;
    opts.metrics.usage = this;
    this.#timer = setInterval(() => void this.flush(), opts.flushIntervalMs ?? 50);
    this.#timer.unref();
  }

  /** Sets the gateway's identity (its registration answer); events are signed from now on. */
  setIdentity(identity: UsageIdentity): void {
    this.#identity = identity;
  }

  get bufferedEvents(): number {
    return this.#buffer.length + this.#inFlight;
  }
  get spoolBytes(): number {
    return this.#spool?.bytes ?? 0;
  }
  get spoolEvents(): number {
    return this.#spool?.events ?? 0;
  }

  emit(event: UsageEvent): void {
    this.#buffer.push(event);
    if (this.#buffer.length >= this.#batchSize && !this.#soon) {
      this.#soon = true;
      setImmediate(() => {
        this.#soon = false;
        void this.flush();
      });
    }
  }

  /** One pass: send (or spool) what is buffered, then replay some of the spool. Single-flight. */
  flush(): Promise<void> {
    return this.#flush.run();
  }

  /** Stops the timer and writes out everything still in memory (to Redis, or to the spool). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
    if (this.#buffer.length > 0) await this.flush();
  }

  get #ready(): boolean {
    return this.#identity !== null && this.#redis?.status === 'ready';
  }

  #sign(event: UsageEvent): string {
    const id = this.#identity;
    return id ? signUsageEvent({ ...event, gatewayId: id.gatewayId }, id.secret) : JSON.stringify(event);
  }

  /** A spooled line as sent: signed lines as they are, unsigned ones (spooled before the identity) signed now. */
  #signedLine(line: string): string {
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return line;
    }
    if (typeof obj[USAGE_SIGNATURE_FIELD] === 'string' || !this.#identity) return line;
    return signUsageEvent({ ...obj, gatewayId: this.#identity.gatewayId }, this.#identity.secret);
  }

  async #drainBuffer(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch =
        this.#buffer.length <= this.#batchSize ? this.#buffer : this.#buffer.slice(0, this.#batchSize);
      this.#buffer = batch === this.#buffer ? [] : this.#buffer.slice(batch.length);
      this.#inFlight = batch.length;
      try {
        const lines = batch.map((e) => this.#sign(e));
        const failed = this.#ready ? await this.#xadd(lines, lines) : lines;
        if (failed.length > 0) await this.#toSpool(failed);
      } finally {
        this.#inFlight = 0;
      }
    }
  }

  /** XADDs `payload` (the signed form of `lines`) in one pipeline; returns the `lines` Redis did not take, in order. */
  async #xadd(lines: readonly string[], payload: readonly string[]): Promise<string[]> {
    const stream = usageStreamOf((this.#identity as UsageIdentity).orgId);
    const pipeline = (this.#redis as Redis).pipeline();
    for (const line of payload) pipeline.xadd(stream, '*', 'e', line);
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch {
      results = null;
    }
    if (!results) return [...lines];
    const failed: string[] = [];
    let sent = 0;
    results.forEach(([err], i) => {
      if (err) failed.push(lines[i] as string);
      else sent++;
    });
    if (sent > 0) this.#metrics.usageEvents.inc({ outcome: 'sent' }, sent);
    return failed;
  }

  async #toSpool(lines: string[]): Promise<void> {
    let spooled = 0;
    if (this.#spool) {
      try {
        spooled = await this.#spool.append(lines);
      } catch (err) {
        console.error(`gateway: cannot write the usage spool (${(err as Error).message})`);
      }
    }
    if (spooled > 0) this.#metrics.usageEvents.inc({ outcome: 'spooled' }, spooled);
    const dropped = lines.length - spooled;
    if (dropped > 0) {
      this.#metrics.usageEvents.inc({ outcome: 'dropped' }, dropped);
      console.error(`gateway: dropped ${dropped} usage event(s): Redis unavailable and the spool is full`);
    }
  }

  /** Sends the oldest spooled events, in order, while Redis takes them; deletes finished segments. */
  async #replaySome(): Promise<void> {
    const spool = this.#spool;
    if (!spool) return;
    for (let i = 0; i < REPLAY_BATCHES_PER_FLUSH; i++) {
      if (!this.#ready) return;
      if (!this.#replay) {
        if (!spool.hasData) return;
        this.#replay = await spool.oldest();
        if (!this.#replay) return;
      }
      const r = this.#replay;
      const batch = r.lines.slice(r.offset, r.offset + this.#batchSize);
      if (batch.length > 0) {
        const failed = await this.#xadd(
          batch,
          batch.map((l) => this.#signedLine(l)),
        );
        r.offset += batch.length;
        if (failed.length > 0) {
          // Keep what Redis refused, in order, ahead of the rest; retried on the next pass.
          spool.sent(batch.filter((l) => !failed.includes(l)));
          r.lines = [...failed, ...r.lines.slice(r.offset)];
          r.offset = 0;
          return;
        }
        spool.sent(batch);
      }
      if (r.offset >= r.lines.length) {
        await spool.remove(r.name);
        this.#replay = null;
      }
    }
    // More to replay: come back without waiting for the timer.
    if (this.#replay || spool.hasData) this.#flush.again = this.#ready && !this.#closed;
  }
}
