import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  startControlPlane,
} from '@portcullis/testing/processes';
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };

export const BOOTSTRAP = {
  email: 'root@portcullis.test',
  password: 'bootstrap-password-1',
  org: 'Bootstrap Org',
};

/** Fixed, so tests can open what the control plane sealed at rest. */
export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    databaseUrl: string;
    logFile: string;
  }
}

/** One fresh database and one control-plane process (the built dist) for the whole run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const db = await createDatabase('portcullis_it');
  const port = await freePort();
  const logFile = path.join(tmpdir(), `${db}.log`);
  writeFileSync(logFile, '');
  const cp = await startControlPlane(
    {
      DATABASE_URL: databaseUrl(db),
      PORT: String(port),
      BOOTSTRAP_ADMIN_EMAIL: BOOTSTRAP.email,
      BOOTSTRAP_ADMIN_PASSWORD: BOOTSTRAP.password,
      BOOTSTRAP_ORG_NAME: BOOTSTRAP.org,
      // Tests speak for several client addresses through X-Forwarded-For from loopback.
      TRUSTED_PROXIES: 'loopback',
      PORTCULLIS_MASTER_KEY: TEST_MASTER_KEY,
      // Loopback upstreams (fake providers, receivers, MCP servers in tests) pass the SSRF guard; nothing
      // else private does. One more loopback address per list shows that each list is its own.
      UPSTREAM_ALLOWLIST: '127.0.0.1,localhost,127.0.10.1',
      WEBHOOK_ALLOWLIST: '127.0.0.1,localhost,127.0.20.1',
      MCP_ALLOWLIST: '127.0.0.1,localhost,127.0.30.1',
      REDIS_URL: TEST_REDIS_URL,
      // Every test makes its organizations as the bootstrap admin; the cap itself is tested on a stack of its own.
      MAX_ORGANIZATIONS_PER_USER: '100000',
      // The prune job's effect is waited for in a test.
      AUTH_PRUNE_INTERVAL_MS: '500',
    },
    logFile,
  );
  project.provide('baseUrl', `http://127.0.0.1:${port}`);
  project.provide('databaseUrl', databaseUrl(db));
  project.provide('logFile', logFile);
  return async () => {
    await cp.stop();
    await dropDatabase(db);
    rmSync(logFile, { force: true });
  };
}
