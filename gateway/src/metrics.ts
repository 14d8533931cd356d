import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SnapshotStore } from './snapshot/store.js';

/** Prometheus metrics on their own registry (never the global one, so two apps in a test don't clash). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'status' | 'code'>;
  readonly latency: Histogram<'route'>;
  readonly authCache: Counter<'result'>;
  readonly rateLimited: Counter<'limit'>;
  readonly tokens: Counter<'direction'>;

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
