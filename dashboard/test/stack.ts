import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ADMIN, Fleet } from '@portcullis/testing/fleet';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  type RunningProcess,
  startControlPlane,
  startProcess,
} from '@portcullis/testing/processes';
import { controlPlaneApi } from '@portcullis/testing/rest';
import OpenAI from 'openai';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Real processes for browser tests: the built control plane on a fresh database, and this dashboard. */
export interface Running {
  url: string;
  stop: () => Promise<void>;
}

export const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts', 'screenshots');

/** The dashboard as `pnpm start` runs it (server.mjs: Next behind the client-address resolution). */
export const startDashboard = (
  port: number,
  controlPlaneUrl: string,
  env: Record<string, string> = {},
): Promise<RunningProcess> =>
  startProcess({
    cmd: process.execPath,
    args: [path.resolve(__dirname, '../server.mjs')],
    cwd: path.resolve(__dirname, '..'),
    env: {
      NODE_ENV: 'production',
      PORT: String(port),
      CONTROL_PLANE_URL: controlPlaneUrl,
      ...(process.env.NEXT_DIST_DIR ? { NEXT_DIST_DIR: process.env.NEXT_DIST_DIR } : {}),
      ...env,
    },
    ready: { url: `http://127.0.0.1:${port}/sign-in` },
    timeoutMs: 60_000,
  });

/**
 * Control-plane settings for a dashboard on `url` (this machine): changes come from that origin, and the
 * dashboard (a loopback peer) is believed about the client's address.
 */
export const controlPlaneEnvFor = (url: string): Record<string, string> => ({
  PUBLIC_DASHBOARD_URL: url,
  TRUSTED_PROXIES: '127.0.0.1',
});

export async function startStack(bootstrap: {
  email: string;
  password: string;
  org: string;
}): Promise<Running> {
  const db = await createDatabase('portcullis_ui');
  const cpPort = await freePort();
  const dashPort = await freePort();
  const url = `http://127.0.0.1:${dashPort}`;
  const controlPlane = await startControlPlane({
    DATABASE_URL: databaseUrl(db),
    PORT: String(cpPort),
    BOOTSTRAP_ADMIN_EMAIL: bootstrap.email,
    BOOTSTRAP_ADMIN_PASSWORD: bootstrap.password,
    BOOTSTRAP_ORG_NAME: bootstrap.org,
    ...controlPlaneEnvFor(url),
  });
  const dashboard = await startDashboard(dashPort, `http://127.0.0.1:${cpPort}`);
  return {
    url,
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
  fleet.cpEnv = { ...controlPlaneEnvFor(url), USAGE_ROLLUP_INTERVAL_MS: '500' };
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

const launchChromium = (): Promise<Browser> =>
  chromium.launch({
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

/**
 * With LATE_TIMERS_MS=n in the environment, every page's timers fire n ms late, as on a starved machine.
 * React Query tells a page of a mutation's progress and of refetched data on a timer, so a test that reads
 * the page right after an action sees the state from before it: a wait that can pass on stale state
 * then fails every time instead of once in a while. A tool for finding such waits, off in CI.
 */
const LATE_TIMERS_MS = Number(process.env.LATE_TIMERS_MS ?? 0);

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await launchChromium();
  if (!LATE_TIMERS_MS) return browser;
  const script = `(() => {
    const setTimeout = window.setTimeout;
    window.setTimeout = (fn, ms, ...args) => setTimeout(fn, (ms || 0) + ${LATE_TIMERS_MS}, ...args);
  })()`;
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    await context.addInitScript(script);
    return context;
  };
  browser.newPage = async (options) => (await browser.newContext(options)).newPage();
  return browser;
}

/** Signs in through the form, as a user does, and waits for the console. */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in as ${email}`).waitFor();
}

/**
 * A page in a fresh browser context (its own cookies), signed in as `user` with the request the sign-in
 * form sends (the dashboard's own /api/v1/auth/login, which sets the HttpOnly session cookie), so no page
 * is loaded just to sign in: the test's first `goto` opens the console. The form itself is tested in
 * sign-in.browser.test.ts and by `signIn`.
 */
export async function signedInPage(
  browser: Browser,
  baseUrl: string,
  user: { email: string; password: string },
  viewport = { width: 1280, height: 900 },
): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const res = await context.request.post(`${baseUrl}/api/v1/auth/login`, {
    data: { email: user.email, password: user.password },
  });
  if (!res.ok()) throw new Error(`signing in ${user.email}: ${res.status()} ${await res.text()}`);
  return context.newPage();
}

let made = 0;

/**
 * A name no other object of this stack has. Each test makes its own objects through the API, so any test
 * can run alone or after any other. "<prefix>-<n>-<4 random>" is never the start of another such name,
 * so a row found by the name's text is that object's row.
 */
export const unique = (prefix: string): string =>
  `${prefix}-${++made}-${Math.random().toString(36).slice(2, 6).padEnd(4, '0')}`;

/** A new organization of the bootstrap admin, made through the API: a place that holds nothing yet. */
export const newOrganization = async (stack: FullStack, name = unique('Org')): Promise<string> =>
  (await stack.fleet.api<{ id: string }>('POST', '/orgs', { name })).id;

/**
 * Makes `orgId` the organization `page` works in, with the console's switcher (the browser remembers the
 * choice), then opens `path` in it.
 */
export async function openInOrganization(page: Page, baseUrl: string, orgId: string, path: string) {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Organization', { exact: true }).selectOption(orgId);
  await page.goto(`${baseUrl}${path}`);
  expect(await page.getByLabel('Organization', { exact: true }).inputValue()).toBe(orgId);
}

/**
 * Types `value` into `input` and checks it is there, so that a form that re-renders and drops what was
 * typed fails here, at the field, rather than later with a puzzling answer to a submit.
 */
export async function fillChecked(input: Locator, value: string): Promise<void> {
  await input.fill(value);
  expect(await input.inputValue()).toBe(value);
}

/** Saves a full-page screenshot under artifacts/screenshots/<name>.png. */
export const screenshot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

/** Calls the control plane's REST API with `token` (empty: anonymous); throws on a 4xx or 5xx answer. */
export async function apiAs<T>(
  stack: FullStack,
  token: string,
  method: string,
  apiPath: string,
  body?: unknown,
): Promise<T> {
  return controlPlaneApi(stack.fleet.cpUrl)<T>(method, apiPath, token, body);
}

/** A member who joined through an invitation: their session token and user id. */
export interface JoinedMember {
  token: string;
  user: { id: string };
}

/** Adds a member the way people join: the admin invites them, they accept the link (both through the API). */
export async function addMember(
  stack: FullStack,
  member: { email: string; name: string; password: string },
): Promise<JoinedMember> {
  const { acceptUrl } = await stack.fleet.api<{ acceptUrl: string }>(
    'POST',
    `/orgs/${stack.fleet.orgId}/invitations`,
    { email: member.email, role: 'member' },
  );
  const token = acceptUrl.split('/').pop() ?? '';
  return apiAs<JoinedMember>(stack, '', 'POST', `/invitations/${token}/accept`, {
    name: member.name,
    password: member.password,
  });
}

/**
 * One chat completion through the gateway with the official OpenAI client: the status the gateway
 * answered with, its error code and the answer's text.
 */
export async function callGateway(
  stack: FullStack,
  apiKey: string,
  { model = 'demo-gpt', content = 'Hi' }: { model?: string; content?: string } = {},
): Promise<{ status: number; code: string | null; answer: string | null }> {
  const client = new OpenAI({ apiKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0, timeout: 10_000 });
  try {
    const completion = await client.chat.completions.create({ model, messages: [{ role: 'user', content }] });
    return { status: 200, code: null, answer: completion.choices[0]?.message.content ?? null };
  } catch (error) {
    if (error instanceof OpenAI.APIError)
      return { status: error.status ?? 0, code: String(error.code ?? ''), answer: null };
    throw error;
  }
}

/** Polls until `check` holds (gateways learn of changes through snapshot deltas, usage is ingested async). */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Elements past the viewport's right edge that are not inside a box that scrolls (tables, the menu). */
export const overflowing = (p: Page): Promise<string[]> =>
  p.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const scrollsInside = (el: Element): boolean => {
      for (let node = el.parentElement; node; node = node.parentElement) {
        const overflowX = getComputedStyle(node).overflowX;
        if (overflowX === 'auto' || overflowX === 'scroll' || overflowX === 'hidden') return true;
      }
      return false;
    };
    return Array.from(document.querySelectorAll('body *'))
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.right > width + 1 && !scrollsInside(el);
      })
      .map((el) => `${el.tagName.toLowerCase()}.${(el as HTMLElement).className}`.slice(0, 80));
  });
