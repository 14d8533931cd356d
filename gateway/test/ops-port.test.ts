import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort, GATEWAY_MAIN, type RunningProcess, startProcess } from '@portcullis/testing/processes';
import { waitFor } from '@portcullis/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// With OPS_PORT set, the gateway process answers /readyz and /metrics only on that port (which an
// operator keeps off the public network) and 404s them on PORT; /healthz answers on both.

describe('gateway process with OPS_PORT', () => {
  let proc: RunningProcess;
  let publicBase: string;
  let opsBase: string;
  beforeAll(async () => {
    const [port, opsPort] = [await freePort(), await freePort()];
    publicBase = `http://127.0.0.1:${port}`;
    opsBase = `http://127.0.0.1:${opsPort}`;
    proc = await startProcess({
      cmd: process.execPath,
      args: [GATEWAY_MAIN],
      env: { PORT: String(port), OPS_PORT: String(opsPort) },
      ready: { url: `${publicBase}/healthz` },
    });
    await waitFor(() => fetch(`${opsBase}/healthz`), 'the operations port');
  }, 30_000);
  afterAll(async () => {
    await proc?.stop();
  });

  it('answers /metrics and /readyz on the operations port', async () => {
    const metrics = await fetch(`${opsBase}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('portcullis_gateway_');
    const ready = await fetch(`${opsBase}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: { code: string } }).error.code).toBe('gateway_not_ready');
    expect((await fetch(`${opsBase}/healthz`)).status).toBe(200);
    expect(proc.output()).toMatch(new RegExp(`operations on :${new URL(opsBase).port}`));
  });

  it('404s /metrics and /readyz on the public port, and still answers /healthz there', async () => {
    for (const path of ['/metrics', '/readyz']) {
      const res = await fetch(`${publicBase}${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    expect((await fetch(`${publicBase}/healthz`)).status).toBe(200);
  });

  it('serves nothing but operations on the operations port', async () => {
    const res = await fetch(`${opsBase}/v1/models`);
    expect(res.status).toBe(404);
  });
});

describe('gateway process settings', () => {
  it('refuses to start with OPS_PORT equal to PORT', async () => {
    const port = await freePort();
    const p = spawn(process.execPath, ['dist/main.js'], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), OPS_PORT: String(port) },
      stdio: 'pipe',
    });
    let out = '';
    p.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    // A gateway that started anyway is stopped, so the test fails instead of leaving it running.
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    const [code] = (await once(p, 'exit')) as [number];
    clearTimeout(timer);
    expect(code).toBe(1);
    expect(out).toMatch(/OPS_PORT/);
  }, 15_000);
});
