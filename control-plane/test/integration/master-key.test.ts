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

describe('PORTCULLIS_MASTER_KEY and UPSTREAM_ALLOWLIST at start-up', () => {
  it.each([
    ['PORTCULLIS_MASTER_KEY', 'too-short', /setting PORTCULLIS_MASTER_KEY must be 32 bytes as base64/],
    ['PORTCULLIS_MASTER_KEY', 'a'.repeat(63), /setting PORTCULLIS_MASTER_KEY must be 32 bytes/],
    ['UPSTREAM_ALLOWLIST', '10.0.0.1/8', /setting UPSTREAM_ALLOWLIST has an invalid entry: "10\.0\.0\.1\/8"/],
    [
      'UPSTREAM_ALLOWLIST',
      'ok.example,bad host',
      /setting UPSTREAM_ALLOWLIST has an invalid entry: "bad host"/,
    ],
  ])('a malformed %s (%s) stops with one sentence', async (name, value, message) => {
    const { code, output } = await runToExit({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      PORT: String(await freePort()),
      [name]: value,
    });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toMatch(message);
    if (name === 'PORTCULLIS_MASTER_KEY') expect(output).not.toContain(value); // never echo a key
  });

  describe('absent', () => {
    let db: string;
    let cp: RunningProcess;
    let base: string;
    beforeAll(async () => {
      db = await createDatabase('portcullis_nokey');
      const port = await freePort();
      base = `http://127.0.0.1:${port}/api/v1`;
      cp = await startControlPlane({
        DATABASE_URL: databaseUrl(db),
        PORT: String(port),
        BOOTSTRAP_ADMIN_EMAIL: 'nokey@portcullis.test',
        BOOTSTRAP_ADMIN_PASSWORD: 'nokey-password-1',
        BOOTSTRAP_ORG_NAME: 'No Key Org',
      });
    });
    afterAll(async () => {
      await cp?.stop();
      await dropDatabase(db);
    });

    it('the control plane runs; storing a secret or registering a gateway is 409 saying what to set', async () => {
      const post = async (path: string, token: string, body: unknown) => {
        const res = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const login = await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nokey@portcullis.test', password: 'nokey-password-1' }),
      });
      const { token, organizations } = (await login.json()) as {
        token: string;
        organizations: { id: string }[];
      };
      const orgId = organizations[0]?.id;
      expect((await post(`/orgs/${orgId}/keys`, token, { name: 'works' })).status).toBe(201);
      const cred = await post(`/orgs/${orgId}/provider-credentials`, token, {
        name: 'x',
        provider: 'anthropic',
        secret: 'sk-ant-0123456789abcdefghijklmnopq',
      });
      expect(cred.status).toBe(409);
      expect(JSON.stringify(cred.body)).toMatch(/Set PORTCULLIS_MASTER_KEY/);
      const gw = await post(`/orgs/${orgId}/gateway-tokens`, token, { name: 'edge' });
      expect(gw.status).toBe(201);
      const reg = await post('/gateway/register', (gw.body as { token: string }).token, { instanceId: 'i' });
      expect(reg.status).toBe(409);
    });
  });
});
