import { freePort, GATEWAY_MAIN, type RunningProcess, startProcess } from '@portcullis/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('gateway process', () => {
  let proc: RunningProcess;
  let base: string;
  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    proc = await startProcess({
      cmd: process.execPath,
      args: [GATEWAY_MAIN],
      env: { PORT: String(port) },
      ready: { url: `${base}/healthz` },
    });
  });
  afterAll(async () => {
    await proc?.stop();
  });

  it('answers /healthz', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('is not ready without a snapshot', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: {
        message: 'The gateway has not loaded a snapshot yet',
        type: 'api_error',
        code: 'gateway_not_ready',
      },
    });
  });

  it('answers unknown routes with an OpenAI-shaped 404', async () => {
    const res = await fetch(`${base}/v2/nothing`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe('not_found');
  });
});
