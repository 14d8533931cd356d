import { parseKey32 } from '@portcullis/shared/crypto';
import {
  GatewayRegistrationSchema,
  OrgSnapshotSchema,
  SnapshotMessageSchema,
  snapshotChannel,
} from '@portcullis/shared/snapshot';
import { Redis } from 'ioredis';
import { request } from 'undici';
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
  /** Longest wait between retries while the control plane is unreachable. */
  maxBackoffMs?: number;
  log?: (line: string) => void;
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
  readonly #o: Required<Omit<SnapshotSyncOptions, 'cache' | 'log'>> & Pick<SnapshotSyncOptions, 'cache'>;
  readonly #log: (line: string) => void;
  #stopped = false;
  #sub: Redis | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #resyncRunning: Promise<void> | null = null;
  #resyncAgain = false;
  #persistTimer: NodeJS.Timeout | null = null;
  #persisting: Promise<void> = Promise.resolve();
  #redisReadyOnce = false;
  #registered = false;
  /** Counts full fetches (for tests and metrics). */
  fullSyncs = 0;

  constructor(opts: SnapshotSyncOptions) {
    this.#o = { heartbeatMs: 5000, maxBackoffMs: 5000, ...opts };
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
      this.#log(
        `gateway: serving snapshot version ${cached.snapshot.version} from the disk cache until the control plane answers`,
      );
    }
    this.store.onChange(() => this.#schedulePersist());
    void this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#persistTimer) {
      clearTimeout(this.#persistTimer);
      this.#persistTimer = null;
      await this.#persist();
    }
    await this.#persisting;
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
    return res.body.json();
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
    return registration;
  }

  async #fetchSnapshot(): Promise<void> {
    const snapshot = OrgSnapshotSchema.parse(await this.#call('GET', '/api/v1/gateway/snapshot'));
    this.fullSyncs++;
    const result = this.store.apply(snapshot);
    if (result === 'applied') this.#log(`gateway: loaded snapshot version ${snapshot.version}`);
  }

  #subscribe(orgId: string): void {
    const channel = snapshotChannel(orgId);
    const sub = new Redis(this.#o.redisUrl, {
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(times * 100, 2000),
      lazyConnect: false,
      connectionName: `portcullis-gateway-sync:${this.#o.instanceId}`,
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

  /** Writes at most a few times per second: a burst of deltas becomes one write of the latest. */
  #schedulePersist(): void {
    if (this.#persistTimer || !this.#o.cache) return;
    this.#persistTimer = setTimeout(() => {
      this.#persistTimer = null;
      void this.#persist();
    }, 200);
    this.#persistTimer.unref();
  }

  #persist(): Promise<void> {
    this.#persisting = this.#persisting.then(async () => {
      const snapshot = this.store.toSnapshot();
      const key = this.store.snapshotKey;
      if (!snapshot || !key || !this.#o.cache) return;
      try {
        await this.#o.cache.save(snapshot, key);
      } catch (err) {
        this.#log(`gateway: cannot write the snapshot cache (${(err as Error).message})`);
      }
    });
    return this.#persisting;
  }
}
