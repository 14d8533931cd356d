import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  type RunningProcess,
  runToExit,
  startControlPlane,
} from '@portcullis/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl } from './client';
import { TEST_REDIS_URL } from './global-setup';

// With OPS_PORT set, the control plane answers /metrics only on that port (kept off the public
// network) and 404s it on PORT; /healthz answers on both. Without it nothing moves.

describe('control plane with OPS_PORT', () => {
  let db: string;
  let cp: RunningProcess;
  let publicBase: string;
  let opsBase: string;
  beforeAll(async () => {
    db = await createDatabase('portcullis_ops');
    const [port, opsPort] = [await freePort(), await freePort()];
    publicBase = `http://127.0.0.1:${port}`;
    opsBase = `http://127.0.0.1:${opsPort}`;
    cp = await startControlPlane({
      DATABASE_URL: databaseUrl(db),
      REDIS_URL: TEST_REDIS_URL,
      PORT: String(port),
      OPS_PORT: String(opsPort),
    });
  }, 60_000);
  afterAll(async () => {
    await cp?.stop();
    if (db) await dropDatabase(db);
  });

  it('answers /metrics and /healthz on the operations port', async () => {
    const metrics = await fetch(`${opsBase}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toContain('portcullis_usage_events_ingested_total');
    const health = await fetch(`${opsBase}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    expect(cp.output()).toContain(`operations on :${new URL(opsBase).port}`);
  });

  it('404s /metrics on the public port like any unknown route, and still answers /healthz there', async () => {
    const res = await fetch(`${publicBase}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'No such route' } });
    expect((await fetch(`${publicBase}/healthz`)).status).toBe(200);
  });

  it('serves nothing but operations on the operations port', async () => {
    for (const path of ['/api/v1/me', '/api/openapi.json']) {
      const res = await fetch(`${opsBase}${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });
});

describe('control plane without OPS_PORT', () => {
  it('answers /metrics on the public port (the default is unchanged)', async () => {
    const res = await fetch(`${baseUrl()}/metrics`);
    expect(res.status).toBe(200);
  });

  it('refuses to start with OPS_PORT equal to PORT', async () => {
    const port = String(await freePort());
    // No database is reached: the settings are checked first.
    const { code, output } = await runToExit({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
      PORT: port,
      OPS_PORT: port,
    });
    expect(code).toBe(1);
    expect(output).toMatch(/cannot start: setting OPS_PORT must differ from PORT/);
  });
});
