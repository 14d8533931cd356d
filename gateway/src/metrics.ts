import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SnapshotStore } from './snapshot/store.js';
import { IGNORED_REASONS } from './snapshot/trust.js';

/** What the usage emitter reports through gauges. */
export interface UsageGauges {
  readonly bufferedEvents: number;
  readonly spoolBytes: number;
  readonly spoolEvents: number;
}

/** Prometheus metrics on their own registry (never the global one, so two apps in a test don't clash). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'status' | 'code'>;
  readonly latency: Histogram<'route'>;
  readonly authCache: Counter<'result'>;
  readonly rateLimited: Counter<'limit'>;
  readonly tokens: Counter<'direction'>;
  readonly usageEvents: Counter<'outcome'>;
  readonly budgetRefused: Counter<'reason'>;
  readonly snapshotMessagesIgnored: Counter<'reason'>;
  /** Set by the usage emitter so the spool and buffer gauges can be read when /metrics is scraped. */
  usage: UsageGauges | null = null;

  constructor(store: SnapshotStore) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'portcullis_gateway_requests_total',
      help: 'Requests answered, by route pattern, HTTP status and error code ("" on success)',
      labelNames: ['route', 'status', 'code'],
      registers,
    });
    this.latency = new Histogram({
      name: 'portcullis_gateway_request_duration_seconds',
      help: 'Time to response headers, by route pattern',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.authCache = new Counter({
      name: 'portcullis_gateway_auth_cache_total',
      help: 'Key verifications answered from the cache (hit) or by argon2 (miss)',
      labelNames: ['result'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'portcullis_gateway_rate_limited_total',
      help: 'Requests refused by a rate limit, by limit',
      labelNames: ['limit'],
      registers,
    });
    this.tokens = new Counter({
      name: 'portcullis_gateway_tokens_total',
      help: 'Tokens metered from upstream responses (reported usage, or an estimate when none is reported)',
      labelNames: ['direction'],
      registers,
    });
    this.usageEvents = new Counter({
      name: 'portcullis_gateway_usage_events_total',
      help: 'Usage events by outcome: sent (XADDed to Redis, live or replayed from the spool), spooled (written to the local spool), dropped (spool full or unavailable)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['sent', 'spooled', 'dropped']) this.usageEvents.inc({ outcome }, 0);
    this.budgetRefused = new Counter({
      name: 'portcullis_gateway_budget_refused_total',
      help: 'Requests refused with budget_exceeded, by reason (spent: the cap is reached; contention: the gateway share stayed used up)',
      labelNames: ['reason'],
      registers,
    });
    this.snapshotMessagesIgnored = new Counter({
      name: 'portcullis_gateway_snapshot_messages_ignored_total',
      help: 'Snapshot messages from Redis not applied, by reason: unsigned or bad_signature (not signed by the pinned control-plane key: forged or altered), malformed, other_org, stale (genuine but older than the held version: late or replayed)',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of IGNORED_REASONS) this.snapshotMessagesIgnored.inc({ reason }, 0);
    const usage = () => this.usage;
    new Gauge({
      name: 'portcullis_gateway_usage_buffered_events',
      help: 'Usage events waiting in memory to be sent or spooled',
      registers,
      collect() {
        this.set(usage()?.bufferedEvents ?? 0);
      },
    });
    new Gauge({
      name: 'portcullis_gateway_usage_spool_bytes',
      help: 'Bytes of usage events spooled on disk, waiting for Redis',
      registers,
      collect() {
        this.set(usage()?.spoolBytes ?? 0);
      },
    });
    new Gauge({
      name: 'portcullis_gateway_usage_spool_events',
      help: 'Usage events spooled on disk, waiting for Redis',
      registers,
      collect() {
        this.set(usage()?.spoolEvents ?? 0);
      },
    });
    new Gauge({
      name: 'portcullis_gateway_snapshot_version',
      help: 'Version of the loaded snapshot (-1 before one is loaded)',
      registers,
      collect() {
        this.set(store.version ?? -1);
      },
    });
    new Gauge({
      name: 'portcullis_gateway_snapshot_age_seconds',
      help: 'Seconds since the held snapshot version was last confirmed current (-1 before one is loaded)',
      registers,
      collect() {
        this.set(store.version === null ? -1 : (Date.now() - store.confirmedAt) / 1000);
      },
    });
  }
}
