import path from 'node:path';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  startControlPlane,
  startProcess,
} from '../../control-plane/test/integration/processes';

/** Real processes for browser tests: the built control plane on a fresh database, and this dashboard. */
export interface Running {
  url: string;
  stop: () => Promise<void>;
}

export async function startStack(bootstrap: {
  email: string;
  password: string;
  org: string;
}): Promise<Running> {
  const db = await createDatabase('portcullis_ui');
  const cpPort = await freePort();
  const controlPlane = await startControlPlane({
    DATABASE_URL: databaseUrl(db),
    PORT: String(cpPort),
    BOOTSTRAP_ADMIN_EMAIL: bootstrap.email,
    BOOTSTRAP_ADMIN_PASSWORD: bootstrap.password,
    BOOTSTRAP_ORG_NAME: bootstrap.org,
  });
  const dashPort = await freePort();
  const dashboard = await startProcess({
    cmd: process.execPath,
    args: [
      path.resolve(__dirname, '../node_modules/next/dist/bin/next'),
      'start',
      '-p',
      String(dashPort),
      '-H',
      '127.0.0.1',
    ],
    cwd: path.resolve(__dirname, '..'),
    env: { NODE_ENV: 'production', CONTROL_PLANE_URL: `http://127.0.0.1:${cpPort}` },
    ready: { url: `http://127.0.0.1:${dashPort}/sign-in` },
    timeoutMs: 60_000,
  });
  return {
    url: `http://127.0.0.1:${dashPort}`,
    stop: async () => {
      await dashboard.stop();
      await controlPlane.stop();
      await dropDatabase(db);
    },
  };
}
