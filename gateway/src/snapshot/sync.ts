import { parseKey32 } from '@portcullis/shared/crypto';
import { GatewayCredentialsSchema } from '@portcullis/shared/gateway-credentials';
import {
  GatewayRegistrationSchema,
  parseSnapshot,
  SnapshotMessageSchema,
  snapshotChannel,
} from '@portcullis/shared/snapshot';
import { Redis } from 'ioredis';
import { request } from 'undici';
import type { GatewayIdentity } from '../credentials/cache.js';
import type { DiskCache } from './disk-cache.js';
import type { SnapshotStore } from './store.js';

export interface SnapshotSyncOptions {
  store: SnapshotStore;
  controlPlaneUrl: string;
  gatewayToken: string;
  redisUrl: string;
  instanceId: string;
  version: string;
  cache: DiskCache | null;
  heartbeatMs?: number;
  /** Journal length past which the disk cache's base is rewritten from memory. */
  compactAfter?: number;
  /** Longest wait between retries while the control plane is unreachable. */
  maxBackoffMs?: number;
  log?: (line: string) => void;
  /**
   * Called with the gateway's identity and credentials from each registration answer, before the
   * subscriber connects (the Redis user it connects as may come from it).
   */
  onRegistered?: (identity: GatewayIdentity) => void | Promise<void>;
  /** The Redis user and password the subscriber connects as (default: those of `redisUrl`). */
  redisAuth?: () => { username?: string; password?: string };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Keeps the store current: disk cache at start, then register + full snapshot, deltas from Redis
 * pub/sub, a full resync on any gap, stale heartbeat or Redis reconnect, and a heartbeat to the
 * control plane. Every failure leaves the held snapshot in place (fail-static).
 */
export class SnapshotSync {
  readonly #o: Required<Omit<SnapshotSyncOptions, 'cache' | 'log' | 'onRegistered' | 'redisAuth'>> &
    Pick<SnapshotSyncOptions, 'cache' | 'onRegistered' | 'redisAuth'>;
  readonly #log: (line: string) => void;
  #stopped = false;
  #sub: Redis | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #resyncRunning: Promise<void> | null = null;
  #resyncAgain = false;
  #compacting = false;
  #redisReadyOnce = false;
  #registered = false;
  /** Counts full fetches (for tests and metrics). */
  fullSyncs = 0;

  constructor(opts: SnapshotSyncOptions) {
    this.#o = { heartbeatMs: 5000, maxBackoffMs: 5000, compactAfter: 5000, ...opts };
    this.#log = opts.log ?? ((line) => console.log(line));
  }

  get store(): SnapshotStore {
    return this.#o.store;
  }

  /** Loads the disk cache, then connects in the background; resolves once the cache is loaded. */
  async start(): Promise<void> {
    const cached = await this.#o.cache?.load();
    if (cached) {
      this.store.setSnapshotKey(cached.snapshotKey);
      this.store.apply(cached.snapshot);
      for (const delta of cached.deltas) if (this.store.applyDelta(delta) === 'gap') break;
      this.#log(
        `gateway: serving snapshot version ${this.store.version} from the disk cache until the control plane answers`,
      );
    }
    void this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    await this.#o.cache?.flush();
    this.#sub?.disconnect();
  }

  /** Full fetch, single-flight: a request while one runs makes it run once more afterwards. */
  resync(): Promise<void> {
    if (this.#resyncRunning) {
      this.#resyncAgain = true;
      return this.#resyncRunning;
    }
    this.#resyncRunning = (async () => {
      try {
        do {
          this.#resyncAgain = false;
          await this.#retrying('fetch the snapshot', () => this.#fetchSnapshot());
        } while (this.#resyncAgain && !this.#stopped);
      } finally {
        this.#resyncRunning = null;
      }
    })();
    return this.#resyncRunning;
  }

  async #connect(): Promise<void> {
    const registration = await this.#retrying('register with the control plane', () => this.#register());
    if (!registration) return;
    this.#registered = true;
    this.#subscribe(registration.gateway.orgId);
    await this.resync();
    this.#heartbeat = setInterval(() => void this.#sendHeartbeat(), this.#o.heartbeatMs);
    this.#heartbeat.unref();
  }

  async #retrying<T>(what: string, fn: () => Promise<T>): Promise<T | null> {
    let delay = 200;
    let warned = false;
    while (!this.#stopped) {
      try {
        const value = await fn();
        if (warned) this.#log(`gateway: control plane reachable again`);
        return value;
      } catch (err) {
        if (err instanceof HttpError && (err.status === 401 || err.status === 403) && !warned) {
          this.#log(`gateway: the control plane refused the gateway token (${err.status}); retrying`);
        } else if (!warned) {
          this.#log(`gateway: cannot ${what} (${(err as Error).message}); retrying with backoff`);
        }
        warned = true;
        await sleep(delay);
        delay = Math.min(delay * 2, this.#o.maxBackoffMs);
      }
    }
    return null;
  }

  async #call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    return JSON.parse((await this.#callRaw(method, path, body)).toString('utf8'));
  }

  /** The response body as bytes (the full snapshot is kept as sent, for the disk cache). */
  async #callRaw(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Buffer> {
    const res = await request(new URL(path, this.#o.controlPlaneUrl), {
      method,
      headers: {
        authorization: `Bearer ${this.#o.gatewayToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 10_000,
      bodyTimeout: 60_000,
    });
    if (res.statusCode >= 400) {
      await res.body.dump();
      throw new HttpError(res.statusCode, `${method} ${path} answered ${res.statusCode}`);
    }
    return Buffer.from(await res.body.arrayBuffer());
  }

  async #register() {
    const raw = await this.#call('POST', '/api/v1/gateway/register', {
      instanceId: this.#o.instanceId,
      version: this.#o.version,
    });
    const registration = GatewayRegistrationSchema.parse(raw);
    const key = parseKey32(registration.snapshotKey);
    if (!key) throw new Error('the snapshot key from the control plane is not 32 bytes');
    const heldOrg = this.store.orgId;
    if (heldOrg !== null && heldOrg !== registration.gateway.orgId) {
      throw new Error(
        `the gateway token belongs to org ${registration.gateway.orgId}, the cache to ${heldOrg}`,
      );
    }
    this.store.setSnapshotKey(key);
    const credentials = GatewayCredentialsSchema.safeParse(raw);
    if (credentials.success && this.#o.onRegistered) {
      await this.#o.onRegistered({
        gatewayId: registration.gateway.id,
        orgId: registration.gateway.orgId,
        ...credentials.data,
      });
    } else if (!credentials.success) {
      this.#log('gateway: the registration answer holds no usage signing secret; usage events stay unsigned');
    }
    return registration;
  }

  async #fetchSnapshot(): Promise<void> {
    const body = await this.#callRaw('GET', '/api/v1/gateway/snapshot');
    const snapshot = parseSnapshot(JSON.parse(body.toString('utf8')));
    this.fullSyncs++;
    const result = this.store.apply(snapshot);
    if (result === 'applied') this.#log(`gateway: loaded snapshot version ${snapshot.version}`);
    // The base on disk becomes these bytes as sent, also when the version is the one held (the
    // snapshot key may have changed with the registration). Off the critical path: the write is queued.
    const key = this.store.snapshotKey;
    if (this.#o.cache && key && snapshot.version === this.store.version) {
      void this.#o.cache.saveWire(body, snapshot.version, key);
    }
  }

  #subscribe(orgId: string): void {
    const channel = snapshotChannel(orgId);
    const sub = new Redis(this.#o.redisUrl, {
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(times * 100, 2000),
      lazyConnect: false,
      connectionName: `portcullis-gateway-sync:${this.#o.instanceId}`,
      ...(this.#o.redisAuth?.() ?? {}),
    });
    this.#sub = sub;
    sub.on('error', () => {
      // ioredis reconnects by itself; the 'ready' handler resyncs. Logged once per outage below.
    });
    sub.on('end', () => {});
    sub.on('close', () => {
      if (this.#redisReadyOnce && !this.#stopped) this.#log('gateway: lost Redis; serving the held snapshot');
    });
    sub.on('ready', () => {
      // After a reconnect anything may have been published while we were away.
      if (this.#redisReadyOnce) void this.resync();
      this.#redisReadyOnce = true;
    });
    sub.subscribe(channel).catch((err: Error) => this.#log(`gateway: cannot subscribe (${err.message})`));
    sub.on('message', (ch: string, text: string) => {
      if (ch === channel) this.#onMessage(text);
    });
  }

  #onMessage(text: string): void {
    let parsed: ReturnType<typeof SnapshotMessageSchema.safeParse>;
    try {
      parsed = SnapshotMessageSchema.safeParse(JSON.parse(text));
    } catch {
      this.#log('gateway: ignoring a snapshot message that is not JSON');
      return;
    }
    if (!parsed.success) {
      this.#log('gateway: ignoring a snapshot message that does not match the schema; resyncing');
      void this.resync();
      return;
    }
    const msg = parsed.data;
    if (msg.orgId !== this.store.orgId && this.store.orgId !== null) return;
    if (msg.kind === 'heartbeat') {
      const held = this.store.version;
      if (held === null || msg.version > held) void this.resync();
      else this.store.confirm(msg.version);
      return;
    }
    const result = this.store.applyDelta(msg);
    if (result === 'gap') void this.resync();
    else if (result === 'applied') this.#journal(msg.toVersion, text);
  }

  /** Appends an applied delta to the disk cache; past `compactAfter` lines, rewrites the base once. */
  #journal(toVersion: number, text: string): void {
    const cache = this.#o.cache;
    if (!cache) return;
    void cache.append(toVersion, text);
    if (this.#compacting || cache.journalLength < this.#o.compactAfter) return;
    const snapshot = this.store.toSnapshot();
    const key = this.store.snapshotKey;
    if (!snapshot || !key) return;
    this.#compacting = true;
    void cache.save(snapshot, key).finally(() => {
      this.#compacting = false;
    });
  }

  async #sendHeartbeat(): Promise<void> {
    if (!this.#registered || this.#stopped) return;
    try {
      await this.#call('POST', '/api/v1/gateway/heartbeat', {
        instanceId: this.#o.instanceId,
        snapshotVersion: this.store.version,
      });
    } catch {
      // The control plane being down is not the gateway's problem; the next beat will tell.
    }
  }
}
