import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';

/** Starts real processes (control plane from its dist, this dashboard with `next start`) for browser tests. */
const root = path.resolve(__dirname, '..', '..');

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

const pgArgs = ['-h', '127.0.0.1', '-U', 'postgres'];
export function createDatabase(): string {
  const name = `portcullis_ui_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  execFileSync('createdb', [...pgArgs, name]);
  return name;
}
export function dropDatabase(name: string): void {
  execFileSync('dropdb', [...pgArgs, '--force', '--if-exists', name]);
}

export interface Running {
  url: string;
  stop: () => Promise<void>;
}

async function startProcess(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  readyUrl: string,
): Promise<ChildProcess> {
  const proc = spawn(cmd, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  for (let i = 0; i < 120; i++) {
    if (proc.exitCode !== null) throw new Error(`${cmd} exited early:\n${out}`);
    try {
      const res = await fetch(readyUrl);
      if (res.status < 500) return proc;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  proc.kill('SIGKILL');
  throw new Error(`${cmd} did not become ready:\n${out}`);
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  proc.kill('SIGTERM');
  await once(proc, 'exit');
}

export async function startStack(bootstrap: {
  email: string;
  password: string;
  org: string;
}): Promise<Running> {
  const db = createDatabase();
  const cpPort = await freePort();
  const dashPort = await freePort();
  const controlPlane = await startProcess(
    process.execPath,
    [path.join(root, 'control-plane/dist/main.js')],
    root,
    {
      DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${db}`,
      PORT: String(cpPort),
      BOOTSTRAP_ADMIN_EMAIL: bootstrap.email,
      BOOTSTRAP_ADMIN_PASSWORD: bootstrap.password,
      BOOTSTRAP_ORG_NAME: bootstrap.org,
    },
    `http://127.0.0.1:${cpPort}/healthz`,
  );
  const nextBin = path.join(root, 'dashboard/node_modules/next/dist/bin/next');
  const dashboard = await startProcess(
    process.execPath,
    [nextBin, 'start', '-p', String(dashPort), '-H', '127.0.0.1'],
    path.join(root, 'dashboard'),
    { CONTROL_PLANE_URL: `http://127.0.0.1:${cpPort}` },
    `http://127.0.0.1:${dashPort}/sign-in`,
  );
  return {
    url: `http://127.0.0.1:${dashPort}`,
    stop: async () => {
      await stop(dashboard);
      await stop(controlPlane);
      dropDatabase(db);
    },
  };
}
