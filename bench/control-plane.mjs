#!/usr/bin/env node
// Control-plane latency, as ratios against GET /healthz (one SELECT 1) measured in the same run.
// Starts the built control plane on a fresh database, runs each operation sequentially N times,
// and prints median and p95 per operation. Usage: pnpm --dir control-plane bench [-- N]
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { requestOk, signIn } from '../testing/dist/rest.js';

const N = Number(process.argv[2] ?? 200);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const db = `portcullis_bench_${process.pid}`;
const pg = ['-h', '127.0.0.1', '-U', 'postgres'];

const srv = createServer().listen(0, '127.0.0.1');
await once(srv, 'listening');
const port = srv.address().port;
srv.close();

execFileSync('createdb', [...pg, db]);
const cp = spawn(process.execPath, [path.join(root, 'control-plane/dist/main.js')], {
  env: {
    PATH: process.env.PATH,
    DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${db}`,
    PORT: String(port),
    BOOTSTRAP_ADMIN_EMAIL: 'bench@portcullis.test',
    BOOTSTRAP_ADMIN_PASSWORD: 'bench-password-1',
    BOOTSTRAP_ORG_NAME: 'Bench',
    // The bench makes many keys for its one user.
    MAX_KEYS_PER_USER: '10000000',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
cp.stdout.resume();
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(`${base}/healthz`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 200));
}

const call = (method, p, token, body) =>
  requestOk(method, `${base}${p}`, { token: token ?? undefined, body });

async function measure(fn) {
  for (let i = 0; i < 10; i++) await fn(i); // warm-up
  const times = [];
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(N * 0.5)], p95: times[Math.floor(N * 0.95)] };
}

try {
  const { token, orgId: org } = await signIn(base, 'bench@portcullis.test', 'bench-password-1');
  for (let i = 0; i < 100; i++) await call('POST', `/api/v1/orgs/${org}/keys`, token, { name: `seed ${i}` });
  const some = (await call('GET', `/api/v1/orgs/${org}/keys?limit=1`, token)).data[0].id;

  const results = {
    'GET /healthz (baseline)': await measure(() => call('GET', '/healthz')),
    'GET /me': await measure(() => call('GET', '/api/v1/me', token)),
    'GET keys/:id': await measure(() => call('GET', `/api/v1/orgs/${org}/keys/${some}`, token)),
    'GET keys?limit=50': await measure(() => call('GET', `/api/v1/orgs/${org}/keys?limit=50`, token)),
    'GET keys?search=seed 9&sort=name': await measure(() =>
      call('GET', `/api/v1/orgs/${org}/keys?search=seed%209&sort=name`, token),
    ),
    'PATCH keys/:id': await measure((i) =>
      call('PATCH', `/api/v1/orgs/${org}/keys/${some}`, token, { name: `renamed ${i}` }),
    ),
    'POST keys (argon2id hash)': await measure((i) =>
      call('POST', `/api/v1/orgs/${org}/keys`, token, { name: `bench ${i}` }),
    ),
  };
  const baseline = results['GET /healthz (baseline)'].p50;
  console.log(`\ncontrol plane, ${N} sequential requests each (node ${process.version})`);
  console.log(
    'operation'.padEnd(36),
    'p50 ms'.padStart(8),
    'p95 ms'.padStart(8),
    'p50 / baseline'.padStart(16),
  );
  for (const [name, r] of Object.entries(results)) {
    console.log(
      name.padEnd(36),
      r.p50.toFixed(2).padStart(8),
      r.p95.toFixed(2).padStart(8),
      `${(r.p50 / baseline).toFixed(1)}×`.padStart(16),
    );
  }
} finally {
  cp.kill('SIGTERM');
  await once(cp, 'exit');
  execFileSync('dropdb', [...pg, '--force', '--if-exists', db]);
}
