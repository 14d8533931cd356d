#!/usr/bin/env node
// Profiles the gateway's hot path: one gateway (with --cpu-prof), one key with every stage on,
// 1 connection of plain chat completions for 10 s. Writes the profile to $PROFILE_DIR (default /tmp).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { controlPlaneApi, signIn } from '../testing/dist/rest.js';
import {
  addFakeModel,
  copyKeyRows,
  freePort,
  pg,
  root,
  start,
  startControlPlane,
  startFakeUpstream,
  startRedis,
} from './lib.mjs';

const db = `portcullis_prof_${process.pid}`;
const procs = [];
const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-prof-'));
try {
  execFileSync('createdb', [...pg, db]);
  const redis = await startRedis();
  const redisPort = redis.port;
  procs.push(redis);
  const upstream = await startFakeUpstream({ cpus: '1' });
  procs.push(upstream);
  const cp = await startControlPlane({
    db,
    redisPort,
    env: {
      PORTCULLIS_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
      UPSTREAM_ALLOWLIST: '127.0.0.1',
      BOOTSTRAP_ADMIN_EMAIL: 'p@portcullis.test',
      BOOTSTRAP_ADMIN_PASSWORD: 'profile-password',
      BOOTSTRAP_ORG_NAME: 'Prof',
    },
    cpus: '1',
  });
  const cpUrl = cp.url;
  procs.push(cp);
  const api = controlPlaneApi(cpUrl);
  const { token, orgId: org } = await signIn(cpUrl, 'p@portcullis.test', 'profile-password');
  await addFakeModel(api, token, org, upstream.url, 'sk-profile-upstream-secret-000000');
  const key = await api('POST', `/orgs/${org}/keys`, token, {
    name: 'p',
    ipAllowlist: ['127.0.0.1/32'],
    allowedModels: ['gpt-4o-mini'],
    allowedProviders: ['openai_compatible'],
    limits: { requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000, concurrentRequests: 10_000 },
  });
  // BULK=N loads N more keys (copies of this one's row) to profile a big heap.
  const bulk = Number(process.env.BULK ?? 0);
  if (bulk > 0) copyKeyRows(db, key.key.id, bulk);
  const gt = await api('POST', `/orgs/${org}/gateway-tokens`, token, { name: 'edge' });
  const gwPort = await freePort();
  const gw = await start(
    'gw',
    process.execPath,
    // GATEWAY_NODE_ARGS replaces the default profiler flags (e.g. "--perf-basic-prof" for `perf record`).
    [
      ...(process.env.GATEWAY_NODE_ARGS ?? `--cpu-prof --cpu-prof-dir=${process.env.PROFILE_DIR ?? '/tmp'}`)
        .split(' ')
        .filter(Boolean),
      path.join(root, 'gateway/dist/main.js'),
    ],
    {
      env: {
        PORT: String(gwPort),
        CONTROL_PLANE_URL: cpUrl,
        GATEWAY_TOKEN: gt.token,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        GATEWAY_STATE_DIR: dir,
        UPSTREAM_ALLOWLIST: '127.0.0.1',
      },
      cpus: '0',
      readyUrl: `http://127.0.0.1:${gwPort}/readyz`,
    },
  );
  procs.push(gw);
  const opts = {
    url: `http://127.0.0.1:${gwPort}/v1/chat/completions`,
    method: 'POST',
    headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    connections: Number(process.env.CONNECTIONS ?? 1),
  };
  await autocannon({ ...opts, duration: 2 });
  const r = await autocannon({ ...opts, duration: 10 });
  console.log(`gateway: ${r.requests.average} req/s, p50 ${r.latency.p50} ms, non2xx ${r.non2xx}`);
  if (process.env.KEEP) {
    console.log(`KEEP gw=http://127.0.0.1:${gwPort} up=${upstream.url} key=${key.secret}`);
    await new Promise((r) => setTimeout(r, Number(process.env.KEEP) * 1000));
  }
} finally {
  for (const p of procs.reverse()) await p.stop().catch(() => undefined);
  execFileSync('dropdb', [...pg, '--force', '--if-exists', db]);
  rmSync(dir, { recursive: true, force: true });
}
