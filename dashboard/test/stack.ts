import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  type RunningProcess,
  startControlPlane,
  startProcess,
} from '../../control-plane/test/integration/processes';
import { ADMIN, Fleet } from '../../gateway/test/e2e/fleet';

/** Real processes for browser tests: the built control plane on a fresh database, and this dashboard. */
export interface Running {
  url: string;
  stop: () => Promise<void>;
}

export const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts', 'screenshots');

const startDashboard = (port: number, controlPlaneUrl: string): Promise<RunningProcess> =>
  startProcess({
    cmd: process.execPath,
    args: [
      path.resolve(__dirname, '../node_modules/next/dist/bin/next'),
      'start',
      '-p',
      String(port),
      '-H',
      '127.0.0.1',
    ],
    cwd: path.resolve(__dirname, '..'),
    env: {
      NODE_ENV: 'production',
      CONTROL_PLANE_URL: controlPlaneUrl,
      ...(process.env.NEXT_DIST_DIR ? { NEXT_DIST_DIR: process.env.NEXT_DIST_DIR } : {}),
    },
    ready: { url: `http://127.0.0.1:${port}/sign-in` },
    timeoutMs: 60_000,
  });

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
  const dashboard = await startDashboard(dashPort, `http://127.0.0.1:${cpPort}`);
  return {
    url: `http://127.0.0.1:${dashPort}`,
    stop: async () => {
      await dashboard.stop();
      await controlPlane.stop();
      await dropDatabase(db);
    },
  };
}

/** The bootstrap admin of `startFullStack`. */
export const FULL_ADMIN = ADMIN;

export interface FullStack {
  /** The dashboard's URL. */
  url: string;
  fleet: Fleet;
  /** The one gateway's URL. */
  gatewayUrl: string;
  stop: () => Promise<void>;
}

/**
 * Everything a user has after the quick start: Postgres database, private Redis, the fake upstream
 * registered as provider credentials with models `demo-gpt` (OpenAI wire format) and `demo-claude`
 * (Anthropic), the control plane, one gateway, and this dashboard. Set-up goes through the REST API.
 */
export async function startFullStack(): Promise<FullStack> {
  const fleet = new Fleet();
  const dashPort = await freePort();
  const url = `http://127.0.0.1:${dashPort}`;
  fleet.cpEnv = { PUBLIC_DASHBOARD_URL: url, USAGE_ROLLUP_INTERVAL_MS: '500' };
  let dashboard: RunningProcess | null = null;
  try {
    await fleet.start(1);
    const openai = await fleet.api<{ id: string }>('POST', `/orgs/${fleet.orgId}/provider-credentials`, {
      name: 'demo-openai',
      provider: 'openai_compatible',
      secret: 'sk-demo-upstream-secret-0001',
      config: { baseUrl: `${fleet.upstream.url}/v1` },
    });
    const anthropic = await fleet.api<{ id: string }>('POST', `/orgs/${fleet.orgId}/provider-credentials`, {
      name: 'demo-anthropic',
      provider: 'anthropic',
      secret: 'sk-ant-demo-upstream-0002',
      config: { baseUrl: fleet.upstream.url },
    });
    for (const [slug, credentialId] of [
      ['demo-gpt', openai.id],
      ['demo-claude', anthropic.id],
    ] as const) {
      await fleet.api('POST', `/orgs/${fleet.orgId}/models`, {
        slug,
        credentialId,
        upstreamModel: slug,
        inputPricePerMTok: 1,
        outputPricePerMTok: 2,
        enabled: true,
      });
    }
    dashboard = await startDashboard(dashPort, fleet.cpUrl);
  } catch (error) {
    await fleet.stop().catch(() => undefined);
    throw error;
  }
  const running = dashboard;
  return {
    url,
    fleet,
    gatewayUrl: fleet.gateways[0]?.url ?? '',
    stop: async () => {
      await running.stop();
      await fleet.stop();
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Signs in through the form, as a user does, and waits for the console. */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in as ${email}`).waitFor();
}

/** Saves a full-page screenshot under artifacts/screenshots/<name>.png. */
export const screenshot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
