import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { hash } from '@node-rs/argon2';
import type { Limits, Provider } from '@portcullis/shared/api-keys';
import { seal } from '@portcullis/shared/crypto';
import { makeKey } from '@portcullis/shared/keys';
import { NO_LIMITS } from '@portcullis/shared/policy';
import { usageStreamOf } from '@portcullis/shared/redis-keys';
import type {
  OrgSnapshot,
  SnapshotChange,
  SnapshotCredential,
  SnapshotEphemeralToken,
  SnapshotKey,
  SnapshotModel,
} from '@portcullis/shared/snapshot';
import { parseUpstreamAllowlist } from '@portcullis/shared/upstream-url';
import { type UsageEvent, UsageEventSchema } from '@portcullis/shared/usage';
import { ARGON2_OWASP } from '@portcullis/testing/argon2';
import { freePort } from '@portcullis/testing/processes';
import { startRedisServer } from '@portcullis/testing/redis-server';
import type { Hono } from 'hono';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { buildGateway, type Gateway, type GatewayDeps } from '../src/app.js';
import { BudgetLedger } from '../src/budget/ledger.js';
import type { GatewayEnv } from '../src/context.js';
import { GatewayMetrics } from '../src/metrics.js';
import { SnapshotStore } from '../src/snapshot/store.js';
import { UpstreamClient, type UpstreamOptions } from '../src/upstream/client.js';
import { UsageEmitter } from '../src/usage/emitter.js';

export const UPSTREAM_SECRET = 'sk-upstream';

/** Limits with only `l` set; every other one is null (no limit). */
export function limitsOf(l: Partial<Limits> = {}): Limits {
  return { ...NO_LIMITS, ...l };
}

/**
 * Applies deltas to `store` as the control plane sends them (one version each, from `version`), each
 * asserted applied.
 */
export function deltaSender(store: SnapshotStore, orgId: string, version = 1) {
  return (...changes: SnapshotChange[]): void => {
    const result = store.applyDelta({
      kind: 'delta',
      orgId,
      fromVersion: version,
      toVersion: version + 1,
      changes,
    });
    expect(result).toBe('applied');
    version++;
  };
}

/** A snapshot key with no policy (no limits, budget, scopes or allowlist), for tests to override. */
export function snapshotKeyRecord(overrides: Partial<SnapshotKey> = {}): SnapshotKey {
  return {
    id: randomUUID(),
    keyId: `pk_${randomUUID().slice(0, 8)}`,
    orgId: randomUUID(),
    ownerId: randomUUID(),
    name: 'test key',
    secretHash: null,
    status: 'active',
    expiresAt: null,
    ownerStatus: 'active',
    rotatedAt: null,
    limits: limitsOf(),
    budget: null,
    allowedProviders: [],
    allowedModels: [],
    ipAllowlist: [],
    metadata: {},
    mcp: { enabled: false, mode: 'allow_all', servers: [], tools: {} },
    ...overrides,
  };
}

/** Builds an organization snapshot in wire format, with real argon2 hashes and sealed credentials. */
export class SnapshotBuilder {
  readonly orgId = randomUUID();
  readonly snapshotKey = randomBytes(32);
  readonly keys: SnapshotKey[] = [];
  readonly credentials: SnapshotCredential[] = [];
  readonly models: SnapshotModel[] = [];
  version = 1;

  credential(provider: Provider, config: SnapshotCredential['config'], secret = UPSTREAM_SECRET): string {
    const id = randomUUID();
    this.credentials.push({ id, provider, config, sealedSecret: seal(this.snapshotKey, secret, 1, id) });
    return id;
  }

  model(slug: string, credentialId: string, overrides: Partial<SnapshotModel> = {}): SnapshotModel {
    const model: SnapshotModel = {
      id: randomUUID(),
      slug,
      credentialId,
      upstreamModel: `${slug}-upstream`,
      inputPricePerMTok: 0.15,
      outputPricePerMTok: 0.6,
      enabled: true,
      ...overrides,
    };
    this.models.push(model);
    return model;
  }

  /** A key record plus the plaintext key a client would present. */
  async key(overrides: Partial<SnapshotKey> = {}): Promise<{ key: string; record: SnapshotKey }> {
    const made = makeKey();
    const record = snapshotKeyRecord({
      keyId: made.keyId,
      orgId: this.orgId,
      secretHash: await hash(made.secret, ARGON2_OWASP),
      ...overrides,
    });
    this.keys.push(record);
    return { key: made.key, record };
  }

  /** A store enforcing this snapshot (plus `extra`, e.g. `mcpServers`), holding its sealing key. */
  store(extra: Partial<OrgSnapshot> = {}): SnapshotStore {
    const store = new SnapshotStore();
    store.setSnapshotKey(this.snapshotKey);
    store.apply({ ...this.build(), ...extra });
    return store;
  }

  build(): OrgSnapshot {
    return {
      orgId: this.orgId,
      version: this.version,
      generatedAt: new Date().toISOString(),
      keys: structuredClone(this.keys),
      credentials: structuredClone(this.credentials),
      models: structuredClone(this.models),
    };
  }
}

/** An ephemeral token for `parent` as the control plane stores it (its own id, the argon2id hash of its secret), and the token. */
export async function ephemeralToken(
  parent: Pick<SnapshotKey, 'id'>,
  expiresAt = new Date(Date.now() + 600_000).toISOString(),
): Promise<{ token: string; record: SnapshotEphemeralToken }> {
  const made = makeKey();
  return {
    token: made.key,
    record: {
      id: randomUUID(),
      tokenId: made.keyId,
      apiKeyId: parent.id,
      secretHash: await hash(made.secret, ARGON2_OWASP),
      expiresAt,
    },
  };
}

export interface Served {
  url: string;
  server: ServerType;
  close(): Promise<void>;
}

/** Serves a Hono app on a real port (127.0.0.1, ephemeral). */
export async function serveApp(app: Hono<GatewayEnv>, hostname = '127.0.0.1'): Promise<Served> {
  const server = serve({ fetch: app.fetch, port: 0, hostname });
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** A gateway built in process from `deps` and served on a real port; `close` ends both. */
export interface ServedGateway extends Served {
  gateway: Gateway;
}

export async function serveGateway(deps: GatewayDeps): Promise<ServedGateway> {
  const gateway = buildGateway(deps);
  const served = await serveApp(gateway.app);
  return {
    ...served,
    gateway,
    close: async () => {
      await served.close();
      await gateway.close();
    },
  };
}

export interface MeteredGateway extends ServedGateway {
  usage: UsageEmitter;
}

/**
 * A served gateway that meters as a deployed one does: usage events signed as `gatewayId` of `orgId` into
 * `redis`'s stream, budgets through a ledger on `redis`, both on the clock `deps.now`.
 */
export async function serveMeteredGateway(
  redis: Redis,
  ids: { orgId: string; gatewayId: string },
  deps: GatewayDeps & { now: () => number },
): Promise<MeteredGateway> {
  const metrics = new GatewayMetrics(deps.store);
  const usage = new UsageEmitter({ redis, spool: null, metrics });
  usage.setIdentity(testUsageIdentity(ids.orgId, ids.gatewayId));
  const gateway = buildGateway({
    metrics,
    usage,
    gatewayId: ids.gatewayId,
    ledger: new BudgetLedger({ redis, instanceId: ids.gatewayId, now: deps.now }),
    ...deps,
  });
  const served = await serveApp(gateway.app);
  return {
    ...served,
    gateway,
    usage,
    close: async () => {
      await served.close();
      await usage.close();
      await gateway.close();
    },
  };
}

/** An upstream client that may reach 127.0.0.1, where the tests' upstreams listen. */
export function loopbackUpstream(
  options: Partial<UpstreamOptions> = {},
  setting: 'UPSTREAM_ALLOWLIST' | 'MCP_ALLOWLIST' = 'UPSTREAM_ALLOWLIST',
): UpstreamClient {
  return new UpstreamClient({ ...options, allowlist: parseUpstreamAllowlist('127.0.0.1', setting) });
}

/** Reads `items` by name, throwing on a name the test never made (`what`: "key", "model", … for the message). */
export const byName =
  <T>(items: Record<string, T>, what: string) =>
  (name: string): T => {
    const item = items[name];
    if (item === undefined) throw new Error(`no ${what} ${name}`);
    return item;
  };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A usage identity for an in-process gateway (what its registration would give): events are stamped
 * with `gatewayId` and signed with a random secret into `orgId`'s stream.
 */
function testUsageIdentity(orgId: string, gatewayId: string) {
  return { orgId, gatewayId, secret: randomBytes(32) };
}

/** Reads back the usage events a gateway's emitter sent to its organization's Redis stream. */
export function usageStream(redis: Redis, usage: UsageEmitter, orgId: string) {
  const events = async (): Promise<UsageEvent[]> => {
    const entries = (await redis.xrange(usageStreamOf(orgId), '-', '+')) as [string, string[]][];
    return entries.map(([, fields]) => UsageEventSchema.parse(JSON.parse(fields[1] as string)));
  };
  /** The usage event of one request (by its x-request-id), once the emitter has sent it; exactly one. */
  const eventOf = async (requestId: string): Promise<UsageEvent> => {
    for (let i = 0; i < 200; i++) {
      await usage.flush();
      const found = (await events()).filter((e) => e.requestId === requestId);
      if (found.length > 1) throw new Error(`request ${requestId} has ${found.length} events`);
      if (found[0]) return found[0];
      await sleep(10);
    }
    throw new Error(`no usage event for ${requestId}`);
  };
  return { events, eventOf };
}

/** A redis-server of the test's own (nothing persisted) and a client on it; `stop` ends both. */
export async function privateRedis(): Promise<{ redis: Redis; port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const proc = await startRedisServer({ port });
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, enableOfflineQueue: false });
  await new Promise((r) => redis.once('ready', r));
  return {
    redis,
    port,
    stop: async () => {
      redis.disconnect();
      await proc.stop();
    },
  };
}
