// Small helpers shared by the benchmark scripts: free ports, real processes pinned to CPUs, waits.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
/** psql / createdb / dropdb connection arguments for the machine's Postgres. */
export const pg = ['-h', '127.0.0.1', '-U', 'postgres'];

export async function freePort() {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** Starts `cmd args` pinned to `cpus` (taskset list, e.g. "0"), resolving when `readyUrl` answers or `readyLine` prints. */
export async function start(name, cmd, args, { env = {}, cpus, readyUrl, readyLine, cwd } = {}) {
  const argv = cpus === undefined ? [cmd, ...args] : ['taskset', '-c', cpus, cmd, ...args];
  const proc = spawn(argv[0], argv.slice(1), {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => {
    out = (out + d).slice(-20_000);
  });
  proc.stderr.on('data', (d) => {
    out = (out + d).slice(-20_000);
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited:\n${out}`);
    if (readyLine && out.includes(readyLine)) break;
    if (readyUrl) {
      const ok = await fetch(readyUrl)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) break;
    }
    if (Date.now() > deadline) throw new Error(`${name} not ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
}

/** A private redis-server on a free port (`port`), nothing persisted. */
export async function startRedis({ cpus } = {}) {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const server = await start('redis', 'redis-server', args, {
    cpus,
    readyLine: 'Ready to accept connections',
  });
  return { ...server, port };
}

/** The built fake upstream (testing/) on a free port, at `url`. */
export async function startFakeUpstream({ cpus } = {}) {
  const port = await freePort();
  const server = await start(
    'upstream',
    process.execPath,
    [path.join(root, 'testing/dist/fake-upstream/main.js')],
    {
      env: { PORT: String(port) },
      cpus,
      readyLine: 'listening on',
    },
  );
  return { ...server, url: `http://127.0.0.1:${port}` };
}

/** The built control plane on database `db` and the redis-server at `redisPort`, plus `env`, at `url`. */
export async function startControlPlane({ db, redisPort, env, cpus }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await start(
    'control-plane',
    process.execPath,
    [path.join(root, 'control-plane/dist/main.js')],
    {
      env: {
        DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${db}`,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        PORT: String(port),
        ...env,
      },
      cpus,
      readyUrl: `${url}/healthz`,
    },
  );
  return { ...server, url };
}

/** The fake upstream at `upstreamUrl` as an OpenAI-compatible credential (`secret`) serving gpt-4o-mini. */
export async function addFakeModel(api, token, org, upstreamUrl, secret) {
  const cred = await api('POST', `/orgs/${org}/provider-credentials`, token, {
    name: 'fake',
    provider: 'openai_compatible',
    secret,
    config: { baseUrl: `${upstreamUrl}/v1` },
  });
  await api('POST', `/orgs/${org}/models`, token, {
    slug: 'gpt-4o-mini',
    credentialId: cred.id,
    upstreamModel: 'gpt-4o-mini',
    inputPricePerMTok: 0.15,
    outputPricePerMTok: 0.6,
    enabled: true,
  });
}

/**
 * Adds `n` keys copied from key `keyId`'s row (same hash, other ids) in database `db`: a set-up shortcut,
 * since 100,000 argon2id hashes through the API would take half an hour.
 */
export function copyKeyRows(db, keyId, n) {
  execFileSync('psql', [
    ...pg,
    '-d',
    db,
    '-qc',
    `INSERT INTO api_keys (org_id, owner_id, name, key_id, secret_hash, status, limits, budget, allowed_providers,
       allowed_models, ip_allowlist, metadata, mcp, created_by)
     SELECT org_id, owner_id, 'bulk ' || i, 'b' || lpad(i::text, 11, '0'), secret_hash, status, limits, budget,
       allowed_providers, allowed_models, ip_allowlist, metadata, mcp, created_by
     FROM api_keys, generate_series(1, ${n}) AS i WHERE id = '${keyId}'`,
  ]);
}

/** Resident set size of a process in MB (Linux /proc). */
export async function rssMb(pid) {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/**
 * CPU time (user + system) a process has used, in ms, from /proc (clock ticks of 10 ms). CPU per request
 * holds up on a loaded machine far better than requests/s: other processes slow a process down, they do
 * not make it work more.
 */
export async function cpuMs(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
