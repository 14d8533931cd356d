import { parseKey32, sealedVersion } from '@portcullis/shared/crypto';
import { GatewayCredentialsSchema } from '@portcullis/shared/gateway-credentials';
import {
  publicKeyFingerprint,
  SNAPSHOT_SIGNATURE_HEADER,
  verifyBytes,
  verifyMessageText,
} from '@portcullis/shared/signing';
import {
  GatewayRegistrationSchema,
  parseSnapshot,
  type SnapshotChange,
  type SnapshotCredential,
  type SnapshotMcpServer,
  SnapshotMessageSchema,
  snapshotChannel,
} from '@portcullis/shared/snapshot';
import { Redis } from 'ioredis';
import { request } from 'undici';
import type { GatewayIdentity } from '../credentials/cache.js';
import type { GatewayMetrics } from '../metrics.js';
import { SingleFlight } from '../single-flight.js';
import type { DiskCache } from './disk-cache.js';
import type { ControlPlaneKeyPin } from './pin.js';
import type { SnapshotStore } from './store.js';
import { type IgnoredReason, SyncTrust } from './trust.js';

export interface SnapshotSyncOptions {
  store: SnapshotStore;
  controlPlaneUrl: string;
  gatewayToken: string;
  redisUrl: string;
  instanceId: string;
  version: string;
  cache: DiskCache | null;
  /** The control plane's signing key as pinned in the state directory. */
  pin: ControlPlaneKeyPin;
  /** What /readyz reports about it (one is made when not given). */
  trust?: SyncTrust;
  metrics?: GatewayMetrics | null;
  heartbeatMs?: number;
  /** Journal length past which a new base is fetched from the control plane for the disk cache. */
  compactAfter?: number;
  /** Longest wait between retries while the control plane is unreachable. */
  maxBackoffMs?: number;
  /** How long start() waits for the control plane's first answer before serving from the disk cache. */
  startupRegisterMs?: number;
  log?: (line: string) => void;
  /**
   * Called with the gateway's identity and credentials from each registration answer, before the
   * subscriber connects (the Redis user it connects as may come from it).
   */
  onRegistered?: (identity: GatewayIdentity) => void | Promise<void>;
  /** The Redis user and password the subscriber connects as (default: those of `redisUrl`). */
  redisAuth?: () => { username?: string; password?: string };
  /**
   * The organization this gateway belongs to as its sealed credentials file says (null when it has
   * none): a disk cache of another organization is refused even before the control plane answers.
   */
  expectedOrgId?: string | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A registration presented a signing key other than the pinned one. */
class PinMismatchError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** At most one log line per kind of refused message in this long (with the count so far). */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

type Registration = ReturnType<typeof GatewayRegistrationSchema.parse>;

/**
 * Keeps the store current: register (the first answer decides what may be served), the verified disk
 * cache, then the full snapshot, deltas from Redis pub/sub, a full resync on any gap, stale heartbeat or
 * Redis reconnect, and a heartbeat to the control plane. Every failure leaves the held snapshot in place
 * (fail-static), except one: the control plane refusing the gateway token (401), which means the gateway
 * was removed; it then drops everything, deletes its cache and serves nothing.
 *
 * Trust: nothing from Redis or the disk is applied unless it verifies under the control plane's signing
 * key, pinned in the state directory at the first registration. What does not verify is ignored,
 * counted (metric, /readyz) and logged.
 */
export class SnapshotSync {
  readonly #o: Required<
    Omit<
      SnapshotSyncOptions,
      'cache' | 'log' | 'trust' | 'metrics' | 'onRegistered' | 'redisAuth' | 'expectedOrgId'
    >
  > &
    Pick<SnapshotSyncOptions, 'cache' | 'onRegistered' | 'redisAuth' | 'expectedOrgId'>;
  readonly #log: (line: string) => void;
  readonly trust: SyncTrust;
  readonly #metrics: GatewayMetrics | null;
  #stopped = false;
  #sub: Redis | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  readonly #resync = new SingleFlight(
    async () => {
      await this.#retrying('fetch the snapshot', () => this.#fetchSnapshot());
    },
    { more: () => !this.#stopped },
  );
  #compacting = false;
  #redisReadyOnce = false;
  #registered = false;
  /** The organization of the gateway token, once the control plane said so. */
  #orgId: string | null = null;
  /** Serving an unsigned disk cache until a key is pinned. */
  #servingUnsigned = false;
  readonly #refusalLoggedAt = new Map<string, number>();
  /** Counts full fetches (for tests and metrics). */
  fullSyncs = 0;

  constructor(opts: SnapshotSyncOptions) {
    this.#o = { heartbeatMs: 5000, maxBackoffMs: 5000, compactAfter: 5000, startupRegisterMs: 5000, ...opts };
    this.#log = opts.log ?? ((line) => console.log(line));
    this.trust = opts.trust ?? new SyncTrust();
    this.#metrics = opts.metrics ?? null;
  }

  get store(): SnapshotStore {
    return this.#o.store;
  }

  get #pin(): ControlPlaneKeyPin {
    return this.#o.pin;
  }

  /**
   * Reads the pin, asks the control plane once (waiting at most `startupRegisterMs`: a removed gateway
   * must not serve even for a moment, and a first registration pins the key the cache must verify under),
   * loads the disk cache that verifies, then keeps connecting in the background.
   */
  async start(): Promise<void> {
    await this.#pin.load();
    if (this.#pin.unreadable) {
      this.#log(
        `gateway: the pinned control-plane key in ${this.#pin.file} cannot be read; every registration is refused until it is repaired or deleted`,
      );
    }
    this.trust.controlPlaneKey = this.#pin.fingerprint;
    const first = this.#registerOnce();
    await Promise.race([first, sleep(this.#o.startupRegisterMs)]);
    if (this.store.removed) return;
    await this.#loadCache();
    void this.#connect(first);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    await this.#o.cache?.flush();
    this.#sub?.disconnect();
  }

  /** Full fetch, single-flight: a request while one runs makes it run once more afterwards. */
  resync(): Promise<void> {
    return this.#resync.run();
  }

  async #loadCache(): Promise<void> {
    const org = this.#orgId ?? this.#o.expectedOrgId ?? null;
    const cached = await this.#o.cache?.load(this.#pin.key, org);
    if (!cached) return;
    if (org !== null && cached.snapshot.orgId !== org) {
      this.#log(
        `gateway: ignoring the snapshot cache: it is of org ${cached.snapshot.orgId}, the gateway of ${org}`,
      );
      return;
    }
    if (!cached.signed) {
      if (this.#pin.key) {
        this.#log(
          'gateway: refusing the unsigned snapshot cache written before snapshots were signed; fetching a signed one',
        );
        return;
      }
      // No key pinned yet: served until the control plane answers and a signed snapshot replaces it.
      this.#servingUnsigned = true;
    }
    this.store.setSnapshotKey(cached.snapshotKey, cached.snapshotKeyVersion);
    this.store.apply(cached.snapshot);
    for (const delta of cached.deltas) if (this.store.applyDelta(delta) === 'gap') break;
    this.#log(
      `gateway: serving ${cached.signed ? 'verified' : 'UNSIGNED (pre-signing)'} snapshot version ${this.store.version} from the disk cache until the control plane answers`,
    );
  }

  async #registerOnce(): Promise<Registration | null> {
    try {
      return await this.#register();
    } catch (err) {
      await this.#failed('register with the control plane', err, false);
      return null;
    }
  }

  async #connect(first: Promise<Registration | null>): Promise<void> {
    const registration =
      (await first) ??
      (this.#stopped
        ? null
        : await this.#retrying('register with the control plane', () => this.#register()));
    if (!registration || this.#stopped) return;
    this.#registered = true;
    this.#subscribe(registration.gateway.orgId);
    await this.resync();
    if (this.#stopped) return;
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
        await this.#failed(what, err, warned);
        if (this.#stopped) return null;
        warned = true;
        await sleep(delay);
        delay = Math.min(delay * 2, this.#o.maxBackoffMs);
      }
    }
    return null;
  }

  /** Logs a failed call once per outage; a refused token means the gateway was removed. */
  async #failed(what: string, err: unknown, warned: boolean): Promise<void> {
    if (err instanceof HttpError && err.status === 401) {
      await this.#onRemoved();
    } else if (err instanceof PinMismatchError) {
      this.#logRefusal('pin', err.message);
    } else if (err instanceof HttpError && err.status === 403 && !warned) {
      this.#log(`gateway: the control plane refused the gateway token (${err.status}); retrying`);
    } else if (!warned) {
      this.#log(`gateway: cannot ${what} (${(err as Error).message}); retrying with backoff`);
    }
  }

  /**
   * The control plane no longer knows this gateway's token: it was removed from its organization. Drop
   * everything held, answer 503 gateway_removed, delete the cached snapshot, stop talking to anyone.
   */
  async #onRemoved(): Promise<void> {
    if (this.store.removed) return;
    this.#stopped = true;
    this.store.markRemoved();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#sub?.disconnect();
    this.#log(
      "gateway: the control plane refused this gateway's token (401): the gateway was removed from its organization. It serves nothing (503 gateway_removed) and deletes its cached snapshot.",
    );
    await this.#o.cache?.clear();
  }

  async #call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    return JSON.parse((await this.#callRaw(method, path, body)).body.toString('utf8'));
  }

  /** The response body as bytes (the full snapshot is kept as sent, for the disk cache) and its signature. */
  async #callRaw(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ body: Buffer; signature: string | null }> {
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
    const signature = res.headers[SNAPSHOT_SIGNATURE_HEADER];
    return {
      body: Buffer.from(await res.body.arrayBuffer()),
      signature: typeof signature === 'string' ? signature : null,
    };
  }

  async #register(): Promise<Registration> {
    const raw = await this.#call('POST', '/api/v1/gateway/register', {
      instanceId: this.#o.instanceId,
      version: this.#o.version,
    });
    const registration = GatewayRegistrationSchema.parse(raw);
    if (!registration.signingKey) {
      throw new Error(
        'the control plane does not sign snapshots (it is older than this gateway); not attaching',
      );
    }
    const presented = registration.signingKey.publicKey;
    const pinned = await this.#pin.accept(presented);
    if (pinned === 'mismatch') {
      this.trust.refusedKey = publicKeyFingerprint(presented);
      throw new PinMismatchError(
        `gateway: REFUSING the control plane: it presents signing key ${publicKeyFingerprint(presented)}, but this gateway pinned ${this.#pin.fingerprint ?? 'an unreadable key'} in ${this.#pin.file}. Nothing it sends is applied; the gateway keeps serving what it holds. If the control plane's key was replaced on purpose, stop the gateway, delete that file and start it again.`,
      );
    }
    this.trust.refusedKey = null;
    this.trust.controlPlaneKey = this.#pin.fingerprint;
    if (pinned === 'pinned') {
      this.#log(
        `gateway: pinned the control plane's signing key ${this.#pin.fingerprint} in ${this.#pin.file}`,
      );
    }
    const key = parseKey32(registration.snapshotKey);
    if (!key) throw new Error('the snapshot key from the control plane is not 32 bytes');
    if (this.#orgId !== null && this.#orgId !== registration.gateway.orgId) {
      throw new Error(
        `the gateway token belongs to org ${registration.gateway.orgId}, this gateway to ${this.#orgId}`,
      );
    }
    if (this.store.orgId !== null && this.store.orgId !== registration.gateway.orgId) {
      // What was loaded from the disk is another organization's: the control plane, asked with this
      // gateway's token, decides. Drop it (and the cache) and fetch the token's own snapshot.
      this.#log(
        `gateway: dropping the snapshot of org ${this.store.orgId} loaded from the disk cache: the gateway token belongs to org ${registration.gateway.orgId}`,
      );
      this.store.clear();
      await this.#o.cache?.clear();
    }
    if (this.#servingUnsigned) {
      this.#servingUnsigned = false;
      this.store.clear();
      this.#log(
        'gateway: dropped the unsigned (pre-signing) snapshot cache now that the control plane key is pinned',
      );
    }
    this.#orgId = registration.gateway.orgId;
    this.store.setSnapshotKey(key, registration.snapshotKeyVersion ?? 1);
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

  /** Whether every sealed value here opens with a snapshot key generation the store holds. */
  #holdsSealing(credentials: readonly SnapshotCredential[], servers: readonly SnapshotMcpServer[]): boolean {
    const holds = (sealed: string) => {
      try {
        return this.store.hasSnapshotKey(sealedVersion(sealed));
      } catch {
        return true; // malformed: the store refuses to open it, whatever the key
      }
    };
    for (const c of credentials) if (!holds(c.sealedSecret)) return false;
    for (const m of servers) if (m.sealedHeaders !== null && !holds(m.sealedHeaders)) return false;
    return true;
  }

  #changesHoldSealing(changes: readonly SnapshotChange[]): boolean {
    const credentials: SnapshotCredential[] = [];
    const servers: SnapshotMcpServer[] = [];
    for (const c of changes) {
      if (c.op === 'upsert_credential') credentials.push(c.value);
      else if (c.op === 'upsert_mcp_server') servers.push(c.value);
    }
    return this.#holdsSealing(credentials, servers);
  }

  async #fetchSnapshot(): Promise<void> {
    const { body, signature } = await this.#callRaw('GET', '/api/v1/gateway/snapshot');
    const publicKey = this.#pin.key;
    if (!publicKey) throw new Error('no control-plane key is pinned');
    if (signature === null || !verifyBytes(publicKey, 'full-snapshot', body, signature)) {
      this.#logRefusal(
        'snapshot',
        `gateway: REFUSING a full snapshot whose signature does not verify under the pinned control-plane key ${this.#pin.fingerprint}`,
      );
      throw new Error('the full snapshot is not signed by the pinned control-plane key');
    }
    const snapshot = parseSnapshot(JSON.parse(body.toString('utf8')));
    if (snapshot.orgId !== this.#orgId) {
      this.#logRefusal(
        'snapshot-org',
        `gateway: REFUSING a full snapshot of org ${snapshot.orgId}: this gateway's token belongs to org ${this.#orgId}`,
      );
      throw new Error("the full snapshot is another organization's");
    }
    if (!this.#holdsSealing(snapshot.credentials, snapshot.mcpServers ?? [])) {
      // Sealed under a newer snapshot key (rotated when a gateway was removed): register again for it.
      await this.#register();
      if (!this.#holdsSealing(snapshot.credentials, snapshot.mcpServers ?? []))
        throw new Error('the snapshot is sealed under a key generation the control plane does not hand out');
    }
    this.fullSyncs++;
    const result = this.store.apply(snapshot);
    if (result === 'applied') this.#log(`gateway: loaded snapshot version ${snapshot.version}`);
    // The base on disk becomes these bytes as sent, with their signature, also when the version is the one
    // held (the snapshot key may have changed with the registration), or older than it while the journal
    // holds every delta since. Off the critical path: the write is queued.
    const key = this.store.snapshotKey;
    const held = this.store.version;
    if (this.#o.cache && key && held !== null && snapshot.version <= held) {
      void this.#o.cache.saveWire(body, snapshot, signature, key, this.store.snapshotKeyVersion);
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
    const publicKey = this.#pin.key;
    const verified = publicKey
      ? verifyMessageText(publicKey, text)
      : ({ ok: false, reason: 'unsigned' } as const);
    if (!verified.ok) {
      this.#ignore(verified.reason);
      return;
    }
    let parsed: ReturnType<typeof SnapshotMessageSchema.safeParse>;
    try {
      parsed = SnapshotMessageSchema.safeParse(JSON.parse(verified.body));
    } catch {
      this.#ignore('malformed');
      return;
    }
    if (!parsed.success) {
      // Signed, so the control plane's own: a newer format this gateway does not know. Resync.
      this.#ignore('malformed');
      void this.resync();
      return;
    }
    const msg = parsed.data;
    if (msg.orgId !== this.#orgId) {
      this.#ignore('other_org');
      return;
    }
    if (msg.kind === 'heartbeat') {
      const held = this.store.version;
      if (held === null || msg.version > held) void this.resync();
      else this.store.confirm(msg.version);
      return;
    }
    if (!this.#changesHoldSealing(msg.changes)) {
      // Resealed under a new snapshot key: fetch it and a full snapshot, serving what is held meanwhile.
      void this.resync();
      return;
    }
    const result = this.store.applyDelta(msg);
    if (result === 'gap') void this.resync();
    else if (result === 'stale') this.#ignore('stale');
    else this.#journal(msg.toVersion, text);
  }

  /** Counts an ignored message (metric, /readyz); one log line per kind of refusal every few seconds. */
  #ignore(reason: IgnoredReason): void {
    this.#metrics?.snapshotMessagesIgnored.inc({ reason });
    if (!this.trust.count(reason)) return;
    const what =
      reason === 'unsigned' || reason === 'bad_signature'
        ? `ignoring a snapshot message that is not signed by the control plane (${reason})`
        : reason === 'other_org'
          ? 'ignoring a snapshot message for another organization'
          : 'ignoring a signed snapshot message that does not match the schema; resyncing';
    this.#logRefusal(reason, `gateway: ${what}; ${this.trust.rejectedTotal} message(s) refused so far`);
  }

  #logRefusal(kind: string, line: string): void {
    const now = Date.now();
    const last = this.#refusalLoggedAt.get(kind);
    if (last !== undefined && now - last < REFUSAL_LOG_INTERVAL_MS) return;
    this.#refusalLoggedAt.set(kind, now);
    this.#log(line);
  }

  /**
   * Appends an applied delta (the signed text as received) to the disk cache; past `compactAfter` lines,
   * fetches a full snapshot, which becomes the new base (only the control plane can sign one).
   */
  #journal(toVersion: number, text: string): void {
    const cache = this.#o.cache;
    if (!cache) return;
    void cache.append(toVersion, text);
    if (this.#compacting || cache.journalLength < this.#o.compactAfter) return;
    this.#compacting = true;
    void this.resync().finally(() => {
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
    } catch (err) {
      // The control plane being down is not the gateway's problem; the next beat will tell. Its refusing
      // the token is: the gateway was removed.
      if (err instanceof HttpError && err.status === 401) await this.#onRemoved();
    }
  }
}
