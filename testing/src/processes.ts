import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';

export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The built entry points this harness starts (from `testing/dist/`; build them first). */
export const CONTROL_PLANE_MAIN = path.resolve(__dirname, '../../control-plane/dist/main.js');
export const GATEWAY_MAIN = path.resolve(__dirname, '../../gateway/dist/main.js');

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

export function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createDatabase(prefix: string): Promise<string> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return name;
}

export async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export interface RunningProcess {
  proc: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export interface ProcessSpec {
  cmd: string;
  args: string[];
  cwd?: string;
  env: Record<string, string>;
  /** Ready once stdout prints this line, or once this URL answers below 500. */
  ready: { line: string } | { url: string };
  /** Copy everything the process prints into this file as it arrives. */
  logFile?: string;
  timeoutMs?: number;
}

function spawnCollecting(spec: Pick<ProcessSpec, 'cmd' | 'args' | 'cwd' | 'env' | 'logFile'>) {
  const proc = spawn(spec.cmd, spec.args, {
    cwd: spec.cwd,
    // A cast, because Next's typings (loaded by the dashboard's tests too) make NODE_ENV required.
    env: { PATH: process.env.PATH ?? '', ...spec.env } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (d: Buffer) => {
    out += d.toString();
    if (spec.logFile) appendFileSync(spec.logFile, d);
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  return { proc, output: () => out };
}

async function isReady(ready: ProcessSpec['ready'], output: string): Promise<boolean> {
  if ('line' in ready) return output.includes(ready.line);
  try {
    return (await fetch(ready.url)).status < 500;
  } catch {
    return false;
  }
}

/** Starts a real process and resolves once it is ready; a process that exits first fails with its output. */
export async function startProcess(spec: ProcessSpec): Promise<RunningProcess> {
  const { proc, output } = spawnCollecting(spec);
  const deadline = Date.now() + (spec.timeoutMs ?? 30_000);
  while (!(await isReady(spec.ready, output()))) {
    if (proc.exitCode !== null) throw new Error(`${spec.cmd} exited with ${proc.exitCode}:\n${output()}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${spec.cmd} did not become ready:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc,
    output,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      // A process that ignores SIGTERM for 15 s is a bug worth seeing, not a reason to hang the suite.
      const timer = setTimeout(() => {
        process.stderr.write(
          `${spec.cmd} ${spec.args?.join(' ') ?? ''}: no exit 15 s after SIGTERM; killing\n`,
        );
        proc.kill('SIGKILL');
      }, 15_000);
      await once(proc, 'exit');
      clearTimeout(timer);
    },
  };
}

/** The built control plane (`dist/main.js`) with the given settings. */
export function startControlPlane(env: Record<string, string>, logFile?: string): Promise<RunningProcess> {
  return startProcess({
    cmd: process.execPath,
    args: [CONTROL_PLANE_MAIN],
    env: { NODE_ENV: 'test', ...env },
    ready: { line: 'listening on' },
    ...(logFile ? { logFile } : {}),
  });
}

/** Runs the control plane expecting it to exit; returns its exit code or signal and everything it printed. */
export async function runToExit(
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const { proc, output } = spawnCollecting({ cmd: process.execPath, args: [CONTROL_PLANE_MAIN], env });
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(proc, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, output: output() };
}

/** Runs one query on database `name` (for checks a user cannot make, from tests of other workspaces too). */
export async function queryDatabase<T>(name: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
