#!/usr/bin/env node
// Profiles the gateway's hot path: one gateway (with --cpu-prof), one key with every stage on,
// 1 connection of plain chat completions for 10 s. Writes the profile to $PROFILE_DIR (default /tmp).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort, root, start } from './lib.mjs';

const db = `portcullis_prof_${process.pid}`;
const pg = ['-h', '127.0.0.1', '-U', 'postgres'];
const procs = [];
const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-prof-'));
const call = async (base, method, p, token, body) => {
  const res = await fetch(`${base}/api/v1${p}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
};
try {
  execFileSync('createdb', [...pg, db]);
  const redisPort = await freePort();
  procs.push(
    await start('redis', 'redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no'], {
      readyLine: 'Ready to accept',
    }),
  );
  const upPort = await freePort();
  procs.push(
    await start('up', process.execPath, [path.join(root, 'testing/dist/fake-upstream/main.js')], {
      env: { PORT: String(upPort) },
      cpus: '1',
      readyLine: 'listening on',
    }),
  );
  const cpPort = await freePort();
  const cpUrl = `http://127.0.0.1:${cpPort}`;
  procs.push(
    await start('cp', process.execPath, [path.join(root, 'control-plane/dist/main.js')], {
      env: {
        DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${db}`,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        PORT: String(cpPort),
        PORTCULLIS_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
        UPSTREAM_ALLOWLIST: '127.0.0.1',
        BOOTSTRAP_ADMIN_EMAIL: 'p@portcullis.test',
        BOOTSTRAP_ADMIN_PASSWORD: 'profile-password',
        BOOTSTRAP_ORG_NAME: 'Prof',
      },
      cpus: '1',
      readyUrl: `${cpUrl}/healthz`,
    }),
  );
  const login = await call(cpUrl, 'POST', '/auth/login', null, {
    email: 'p@portcullis.test',
    password: 'profile-password',
  });
  const org = login.organizations[0].id;
  const cred = await call(cpUrl, 'POST', `/orgs/${org}/provider-credentials`, login.token, {
    name: 'fake',
    provider: 'openai_compatible',
    secret: 'sk-profile-upstream-secret-000000',
    config: { baseUrl: `http://127.0.0.1:${upPort}/v1` },
  });
  await call(cpUrl, 'POST', `/orgs/${org}/models`, login.token, {
    slug: 'gpt-4o-mini',
    credentialId: cred.id,
    upstreamModel: 'gpt-4o-mini',
    inputPricePerMTok: 0.15,
    outputPricePerMTok: 0.6,
    enabled: true,
  });
  const key = await call(cpUrl, 'POST', `/orgs/${org}/keys`, login.token, {
    name: 'p',
    ipAllowlist: ['127.0.0.1/32'],
    allowedModels: ['gpt-4o-mini'],
    allowedProviders: ['openai_compatible'],
    limits: { requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000, concurrentRequests: 10_000 },
  });
  // BULK=N loads N more keys (copies of this one's row, as bench/gateway.mjs does) to profile a big heap.
  const bulk = Number(process.env.BULK ?? 0);
  if (bulk > 0)
    execFileSync('psql', [
      ...pg,
      '-d',
      db,
      '-qc',
      `INSERT INTO api_keys (org_id, owner_id, name, key_id, secret_hash, status, limits, budget, allowed_providers,
         allowed_models, ip_allowlist, metadata, mcp, created_by)
       SELECT org_id, owner_id, 'bulk ' || i, 'b' || lpad(i::text, 11, '0'), secret_hash, status, limits, budget,
         allowed_providers, allowed_models, ip_allowlist, metadata, mcp, created_by
       FROM api_keys, generate_series(1, ${bulk}) AS i WHERE id = '${key.key.id}'`,
    ]);
  const gt = await call(cpUrl, 'POST', `/orgs/${org}/gateway-tokens`, login.token, { name: 'edge' });
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
    console.log(`KEEP gw=http://127.0.0.1:${gwPort} up=http://127.0.0.1:${upPort} key=${key.secret}`);
    await new Promise((r) => setTimeout(r, Number(process.env.KEEP) * 1000));
  }
} finally {
  for (const p of procs.reverse()) await p.stop().catch(() => undefined);
  execFileSync('dropdb', [...pg, '--force', '--if-exists', db]);
  rmSync(dir, { recursive: true, force: true });
}
