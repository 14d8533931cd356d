import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { parseCidr } from '@portcullis/shared/cidr';
import { parseUsageSigningSecret } from '@portcullis/shared/usage-signing';
import { Redis } from 'ioredis';
import { buildGateway, buildOpsApp } from './app.js';
import { BudgetLedger } from './budget/ledger.js';
import { CredentialsCache, type GatewayIdentity } from './credentials/cache.js';
import { listSetting, loadEnv } from './env.js';
import { GatewayMetrics } from './metrics.js';
import { RateLimiter } from './rate-limit/limiter.js';
import { DiskCache } from './snapshot/disk-cache.js';
import { ControlPlaneKeyPin } from './snapshot/pin.js';
import { SnapshotStore } from './snapshot/store.js';
import { SnapshotSync } from './snapshot/sync.js';
import { SyncTrust } from './snapshot/trust.js';
import { UpstreamClient } from './upstream/client.js';
import { UsageEmitter } from './usage/emitter.js';
import { UsageSpool } from './usage/spool.js';

const VERSION = '0.1.0';
const env = loadEnv();
const trustedProxies = listSetting(env.TRUSTED_PROXIES);
for (const entry of trustedProxies) {
  const parsed = parseCidr(entry);
  if (!parsed.ok) {
    console.error(`Portcullis gateway cannot start: TRUSTED_PROXIES entry ${entry} ${parsed.error}.`);
    process.exit(1);
  }
}

const instanceId = `${process.env.HOSTNAME ?? 'gateway'}-${env.PORT}-${randomUUID().slice(0, 8)}`;
const store = new SnapshotStore();
const metrics = new GatewayMetrics(store);
const trust = new SyncTrust();
let sync: SnapshotSync | null = null;
let redis: Redis | null = null;
/**
 * Redis connections wait until the gateway knows who it is (its cached credentials, else its first
 * registration): the control plane may have minted a Redis user for it, confined to its organization.
 */
let redisAuth: { username?: string; password?: string } = {};
if (env.GATEWAY_TOKEN) {
  redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  redis.on('error', () => {
    // Rate-limit sharing pauses while Redis is away; each gateway keeps enforcing locally.
  });
} else {
  console.error('Portcullis gateway has no GATEWAY_TOKEN, so it cannot register and stays not ready.');
}

// Usage events get their own connection, so a large XADD batch never delays a rate-limit exchange.
const usageRedis = env.GATEWAY_TOKEN
  ? new Redis(env.REDIS_URL, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
      connectionName: `portcullis-gateway-usage:${instanceId}`,
    })
  : null;
usageRedis?.on('error', () => {
  // Events are spooled to disk while Redis is away and replayed when it is back.
});
const spool = new UsageSpool(path.join(env.GATEWAY_STATE_DIR, 'usage-spool'), {
  maxBytes: env.USAGE_SPOOL_MAX_BYTES,
});
let spoolReady = true;
try {
  await spool.open();
} catch (err) {
  spoolReady = false;
  console.error(
    `gateway: usage spool unavailable (${(err as Error).message}); events Redis refuses are dropped`,
  );
}
const usage = new UsageEmitter({ redis: usageRedis, spool: spoolReady ? spool : null, metrics });
if (spool.events > 0)
  console.log(`gateway: replaying ${spool.events} spooled usage event(s) once Redis is ready`);

const credentials = env.GATEWAY_TOKEN ? new CredentialsCache(env.GATEWAY_STATE_DIR, env.GATEWAY_TOKEN) : null;
let applied = '';
/** Takes the gateway's identity: signs usage with its secret, connects to Redis as its own user. */
function useIdentity(identity: GatewayIdentity): void {
  const secret = parseUsageSigningSecret(identity.usageSigningSecret);
  if (secret) usage.setIdentity({ gatewayId: identity.gatewayId, orgId: identity.orgId, secret });
  const auth = identity.redis ? { username: identity.redis.username, password: identity.redis.password } : {};
  const fingerprint = JSON.stringify(auth);
  if (fingerprint === applied) return;
  const first = applied === '';
  applied = fingerprint;
  redisAuth = auth;
  for (const r of [redis, usageRedis]) {
    if (!r) continue;
    if (identity.redis) Object.assign(r.options, auth);
    if (first) r.connect().catch(() => undefined);
    else r.disconnect(true); // new credentials: reconnect with them
  }
}

const gateway = buildGateway({
  store,
  trustedProxies,
  metrics,
  usage,
  gatewayId: instanceId,
  trust,
  limiter: new RateLimiter({ redis, instanceId, orgId: () => store.orgId }),
  ledger: new BudgetLedger({ redis, instanceId, orgId: () => store.orgId }),
  auth: {
    verifyConcurrency: env.AUTH_VERIFY_CONCURRENCY,
    verifyQueue: env.AUTH_VERIFY_QUEUE,
    failuresPerIpPerMinute: env.AUTH_FAILURES_PER_ADDRESS_PER_MINUTE,
    failuresPerKeyPerMinute: env.AUTH_FAILURES_PER_KEY_PER_MINUTE,
    keyReserveIntervalMs: env.AUTH_KEY_RESERVE_INTERVAL_MS,
    failuresPerSecond: env.AUTH_FAILURES_PER_SECOND,
  },
  upstream: new UpstreamClient({
    headersTimeoutMs: env.UPSTREAM_TIMEOUT_MS,
    allowlist: env.UPSTREAM_ALLOWLIST,
  }),
  mcpUpstream: new UpstreamClient({
    headersTimeoutMs: env.UPSTREAM_TIMEOUT_MS,
    allowlist: env.MCP_ALLOWLIST,
  }),
  opsOnSeparatePort: env.OPS_PORT !== undefined,
});
if (env.GATEWAY_TOKEN && credentials) {
  const cached = await credentials.load();
  if (cached) useIdentity(cached);
  sync = new SnapshotSync({
    store,
    controlPlaneUrl: env.CONTROL_PLANE_URL,
    gatewayToken: env.GATEWAY_TOKEN,
    redisUrl: env.REDIS_URL,
    instanceId,
    version: VERSION,
    cache: new DiskCache(env.GATEWAY_STATE_DIR, env.GATEWAY_TOKEN),
    pin: new ControlPlaneKeyPin(env.GATEWAY_STATE_DIR),
    trust,
    metrics,
    redisAuth: () => redisAuth,
    expectedOrgId: cached?.orgId ?? null,
    onRegistered: async (identity) => {
      useIdentity(identity);
      await credentials.save(identity).catch((err: Error) => {
        console.error(`gateway: cannot write its credentials to the state dir (${err.message})`);
      });
    },
  });
  await sync.start();
}

const server = serve({ fetch: gateway.app.fetch, port: env.PORT }, (info) => {
  console.log(`Portcullis gateway listening on :${info.port}`);
});
const opsServer =
  env.OPS_PORT === undefined
    ? null
    : serve({ fetch: buildOpsApp({ store, metrics, trust }).fetch, port: env.OPS_PORT }, (info) => {
        console.log(`Portcullis gateway operations on :${info.port} (/healthz, /readyz, /metrics)`);
      });
const SHUTDOWN_DEADLINE_MS = 5000;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close();
    opsServer?.close();
    // Usage still in memory goes to Redis or, when Redis is down, to the spool; a stuck close (Redis
    // half-open) must not keep the process alive, so the whole shutdown has a deadline.
    const deadline = new Promise((r) => setTimeout(r, SHUTDOWN_DEADLINE_MS).unref());
    void Promise.race([Promise.allSettled([sync?.stop(), gateway.close(), usage.close()]), deadline]).then(
      () => {
        redis?.disconnect();
        usageRedis?.disconnect();
        process.exit(0);
      },
    );
  });
}
