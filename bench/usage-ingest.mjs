#!/usr/bin/env node
// Usage ingestion: how fast the control plane turns usage events in the Redis stream into request
// rows, and how long an event takes from XADD to GET …/keys/:id/requests.
// Starts a private redis-server, a fresh database and the built control plane; XADDs EVENTS events as
// fast as one client can (pipelined) and waits until the key's requestCount shows all of them; then
// PROBES single events, paced, each polled for in the key's request log.
// Usage: pnpm --dir control-plane bench  (or node bench/usage-ingest.mjs [EVENTS] [PROBES])
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { requestOk, signIn } from '../testing/dist/rest.js';
import { percentile, pg, root, startControlPlane, startRedis } from './lib.mjs';

const EVENTS = Number(process.argv[2] ?? 20_000);
const PROBES = Number(process.argv[3] ?? 200);
// ioredis comes from the control plane's dependencies (the bench package does not carry it).
const Redis = createRequire(path.join(root, 'control-plane/package.json'))('ioredis');
// Events are signed as a registered gateway signs them (the control plane counts nothing else).
const { signUsageEvent } = createRequire(path.join(root, 'shared/package.json'))(
  path.join(root, 'shared/dist/usage-signing.js'),
);
const { usageStreamOf } = createRequire(path.join(root, 'shared/package.json'))(
  path.join(root, 'shared/dist/redis-keys.js'),
);

const db = `portcullis_bench_usage_${process.pid}`;

const redisServer = await startRedis();
execFileSync('createdb', [...pg, db]);
let cp;
const redis = new Redis(redisServer.port, '127.0.0.1');
const call = (method, p, token, body) =>
  requestOk(method, `${cp.url}${p}`, { token: token ?? undefined, body });

try {
  cp = await startControlPlane({
    db,
    redisPort: redisServer.port,
    env: {
      PORTCULLIS_MASTER_KEY: Buffer.alloc(32, 9).toString('base64'),
      BOOTSTRAP_ADMIN_EMAIL: 'bench@portcullis.test',
      BOOTSTRAP_ADMIN_PASSWORD: 'bench-password-1',
      BOOTSTRAP_ORG_NAME: 'Bench',
    },
  });
  const { token, orgId: org } = await signIn(cp.url, 'bench@portcullis.test', 'bench-password-1');
  const key = (await call('POST', `/api/v1/orgs/${org}/keys`, token, { name: 'ingest bench' })).key;
  const made = await call('POST', `/api/v1/orgs/${org}/gateway-tokens`, token, { name: 'bench-gw' });
  const reg = await call('POST', '/api/v1/gateway/register', made.token, { instanceId: 'bench-gw-1' });
  const secret = Buffer.from(reg.usageSigningSecret, 'base64url');
  const STREAM = usageStreamOf(org);
  const signed = (e) => signUsageEvent(e, secret);
  const event = (i) => ({
    id: randomUUID(),
    time: new Date().toISOString(),
    orgId: org,
    keyId: key.id,
    ownerId: key.ownerId,
    gatewayId: made.gateway.id,
    requestId: `req_${i}`,
    method: 'POST',
    route: '/v1/chat/completions',
    model: 'gpt-4o-mini',
    provider: 'openai',
    inputTokens: 100 + (i % 50),
    outputTokens: 20 + (i % 30),
    costUsd: 0.000027,
    estimated: false,
    aborted: false,
    status: 200,
    errorCode: null,
    latencyMs: 120,
    sourceIp: '203.0.113.7',
    userAgent: 'OpenAI/JS 5.0',
    metadata: { team: 'bench' },
  });
  const requestCount = async () =>
    (await call('GET', `/api/v1/orgs/${org}/keys/${key.id}`, token)).requestCount;

  // 1. Throughput: a burst of EVENTS, until all are counted.
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i += 1000) {
    const pipe = redis.pipeline();
    for (let j = i; j < Math.min(EVENTS, i + 1000); j++) pipe.xadd(STREAM, '*', 'e', signed(event(j)));
    await pipe.exec();
  }
  const tAdded = process.hrtime.bigint();
  while ((await requestCount()) < EVENTS) await new Promise((r) => setTimeout(r, 20));
  const tDone = process.hrtime.bigint();
  const addMs = Number(tAdded - t0) / 1e6;
  const allMs = Number(tDone - t0) / 1e6;

  // 2. Lag: one event at a time, XADD → first GET …/requests that shows it.
  const requestsPath = `/api/v1/orgs/${org}/keys/${key.id}/requests?limit=1`;
  const lags = [];
  const gets = [];
  for (let i = 0; i < PROBES; i++) {
    const e = event(EVENTS + i);
    const t = process.hrtime.bigint();
    await redis.xadd(STREAM, '*', 'e', signed(e));
    for (;;) {
      const g = process.hrtime.bigint();
      const page = await call('GET', requestsPath, token);
      gets.push(Number(process.hrtime.bigint() - g) / 1e6);
      if (page.data[0]?.id === e.id) break;
    }
    lags.push(Number(process.hrtime.bigint() - t) / 1e6);
    await new Promise((r) => setTimeout(r, 10)); // paced: one probe in flight at a time, with gaps
  }
  lags.sort((a, b) => a - b);
  gets.sort((a, b) => a - b);
  const getP50 = percentile(gets, 0.5);
  // Baselines in the same run: GET /healthz (one SELECT 1) and GET keys/:id.
  const timed = async (fn) => {
    const times = [];
    for (let i = 0; i < 100; i++) {
      const t = process.hrtime.bigint();
      await fn();
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return percentile(
      times.sort((a, b) => a - b),
      0.5,
    );
  };
  const healthP50 = await timed(() => call('GET', '/healthz'));
  const keyP50 = await timed(() => call('GET', `/api/v1/orgs/${org}/keys/${key.id}`, token));

  console.log(`\nusage ingestion (node ${process.version}, private redis-server, one control plane)`);
  console.log(
    `burst: ${EVENTS} events XADDed in ${addMs.toFixed(0)} ms; all counted after ${allMs.toFixed(0)} ms` +
      ` → ${Math.round(EVENTS / (allMs / 1000))} events/s ingested`,
  );
  console.log(
    `lag XADD → visible in GET …/keys/:id/requests over ${PROBES} paced probes:` +
      ` p50 ${percentile(lags, 0.5).toFixed(1)} ms, p99 ${percentile(lags, 0.99).toFixed(1)} ms` +
      ` (one GET …/requests round trip: p50 ${getP50.toFixed(1)} ms;` +
      ` lag p50 = ${(percentile(lags, 0.5) / getP50).toFixed(1)}× that)`,
  );
  console.log(
    `baselines, p50: GET /healthz ${healthP50.toFixed(1)} ms, GET keys/:id ${keyP50.toFixed(1)} ms;` +
      ` GET …/requests = ${(getP50 / healthP50).toFixed(1)}× /healthz; lag p50 = ${(percentile(lags, 0.5) / healthP50).toFixed(1)}× /healthz`,
  );
} finally {
  redis.disconnect();
  if (cp) await cp.stop();
  await redisServer.stop();
  execFileSync('dropdb', [...pg, '--force', '--if-exists', db]);
}
