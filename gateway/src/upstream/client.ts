import type { LookupFunction } from 'node:net';
import { guardedLookup, UpstreamBlockedError } from '@portcullis/shared/node/guarded-lookup';
import {
  allowedByName,
  checkUpstreamUrl,
  EMPTY_ALLOWLIST,
  type UpstreamAllowlist,
} from '@portcullis/shared/upstream-url';
import { Pool } from 'undici';

// UpstreamBlockedError is what a refused address raises here too, at the URL check or at connect.
export { guardedLookup, UpstreamBlockedError };

export interface UpstreamOptions {
  /** Wait for response headers before 504 upstream_timeout. */
  headersTimeoutMs: number;
  /** Longest silence between body chunks (a stream that stalls this long is cut). */
  bodyTimeoutMs: number;
  connectTimeoutMs: number;
  connectionsPerOrigin: number;
  /**
   * Private or loopback hosts the operator lets this client's URLs point at: `UPSTREAM_ALLOWLIST` for
   * providers, `MCP_ALLOWLIST` for MCP servers (each has its own client).
   */
  allowlist: UpstreamAllowlist;
}

export const DEFAULT_UPSTREAM_OPTIONS: UpstreamOptions = {
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 300_000,
  connectTimeoutMs: 10_000,
  connectionsPerOrigin: 256,
  allowlist: EMPTY_ALLOWLIST,
};

/**
 * One undici Pool per upstream origin, created on first use and kept (keep-alive) for the process.
 * Every origin is checked once against the SSRF guard before its pool exists; every new connection's
 * DNS answer is checked again.
 */
export class UpstreamClient {
  readonly #pools = new Map<string, Pool>();
  readonly #refused = new Map<string, string>();
  readonly options: UpstreamOptions;
  readonly #lookup: LookupFunction;

  constructor(options: Partial<UpstreamOptions> = {}) {
    this.options = { ...DEFAULT_UPSTREAM_OPTIONS, ...options };
    this.#lookup = guardedLookup(this.options.allowlist);
  }

  /** The pool for an origin; throws UpstreamBlockedError when the guard refuses it. */
  pool(origin: string): Pool {
    const pool = this.#pools.get(origin);
    if (pool) return pool;
    return this.#create(origin);
  }

  #create(origin: string): Pool {
    let reason = this.#refused.get(origin);
    if (reason === undefined) {
      const check = checkUpstreamUrl(origin, this.options.allowlist);
      reason = check.ok ? '' : check.reason;
      if (this.#refused.size < 10_000) this.#refused.set(origin, reason);
    }
    if (reason !== '') throw new UpstreamBlockedError(`${origin} ${reason}`);
    // A host the operator allowlisted by name may resolve to whatever it likes; any other name's
    // addresses are checked at every connect.
    const byName = allowedByName(new URL(origin), this.options.allowlist);
    const pool = new Pool(origin, {
      connections: this.options.connectionsPerOrigin,
      headersTimeout: this.options.headersTimeoutMs,
      bodyTimeout: this.options.bodyTimeoutMs,
      connect: { timeout: this.options.connectTimeoutMs, ...(byName ? {} : { lookup: this.#lookup }) },
      keepAliveTimeout: 30_000,
    });
    this.#pools.set(origin, pool);
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.destroy()));
    this.#pools.clear();
  }
}
