import { Pool } from 'undici';

export interface UpstreamOptions {
  /** Wait for response headers before 504 upstream_timeout. */
  headersTimeoutMs: number;
  /** Longest silence between body chunks (a stream that stalls this long is cut). */
  bodyTimeoutMs: number;
  connectTimeoutMs: number;
  connectionsPerOrigin: number;
}

export const DEFAULT_UPSTREAM_OPTIONS: UpstreamOptions = {
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 300_000,
  connectTimeoutMs: 10_000,
  connectionsPerOrigin: 256,
};

/** One undici Pool per upstream origin, created on first use and kept (keep-alive) for the process. */
export class UpstreamClient {
  readonly #pools = new Map<string, Pool>();
  constructor(readonly options: UpstreamOptions = DEFAULT_UPSTREAM_OPTIONS) {}

  pool(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.options.connectionsPerOrigin,
        headersTimeout: this.options.headersTimeoutMs,
        bodyTimeout: this.options.bodyTimeoutMs,
        connect: { timeout: this.options.connectTimeoutMs },
        keepAliveTimeout: 30_000,
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.destroy()));
    this.#pools.clear();
  }
}
