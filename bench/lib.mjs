// Small helpers shared by the benchmark scripts: free ports, real processes pinned to CPUs, waits.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

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
