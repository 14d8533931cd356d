import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fillChecked, launchBrowser, type Running, screenshot, startStack } from './stack';

const BOOTSTRAP = { email: 'ui-admin@portcullis.test', password: 'ui-admin-password-1', org: 'UI Test Org' };

let stack: Running;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  stack = await startStack(BOOTSTRAP);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

// Each test starts signed out (no cookie) on a new page, so none depends on another; the browser's
// cache is kept, so the page loads stay quick.
beforeEach(async () => {
  await context.clearCookies();
  page = await context.newPage();
});

afterEach(async () => {
  await page?.close();
});

/** Calls the control plane through the dashboard, as a script would (Bearer, no browser). */
async function call(method: string, path: string, token?: string, body?: unknown): Promise<Response> {
  return fetch(`${stack.url}/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
}

async function apiLogin(email: string, password: string): Promise<string> {
  const res = await call('POST', '/auth/login', undefined, { email, password });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

const apiMe = async (token: string) => (await call('GET', '/me', token)).status;

let people = 0;
/** A member of the bootstrap organization that no other test uses. */
async function newPerson(): Promise<{ email: string; password: string }> {
  const who = {
    email: `person-${Date.now().toString(36)}-${people++}@portcullis.test`,
    password: 'person-password-1',
  };
  const root = await apiLogin(BOOTSTRAP.email, BOOTSTRAP.password);
  const me = (await (await call('GET', '/me', root)).json()) as { organizations: { id: string }[] };
  const orgId = me.organizations[0]?.id ?? '';
  const inv = (await (
    await call('POST', `/orgs/${orgId}/invitations`, root, { email: who.email, role: 'member' })
  ).json()) as {
    acceptUrl: string;
  };
  const token = inv.acceptUrl.split('/').pop() ?? '';
  const accepted = await call('POST', `/invitations/${token}/accept`, undefined, {
    name: 'Person',
    password: who.password,
  });
  if (accepted.status !== 200) throw new Error(`accept failed: ${await accepted.text()}`);
  return who;
}

describe('sign-in page in a real browser', () => {
  it('sends a visitor without a session to /sign-in', async () => {
    await page.goto(`${stack.url}/`);
    await page.waitForURL(/\/sign-in$/);
    await expect(page.getByLabel('Email').isVisible()).resolves.toBe(true);
    await screenshot(page, 'sign-in');
  });

  it('shows the API error next to the form for a wrong password', async () => {
    await page.goto(`${stack.url}/sign-in`);
    await fillChecked(page.getByLabel('Email'), BOOTSTRAP.email);
    await fillChecked(page.getByLabel('Password'), 'not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.locator('form').getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Wrong email or password');
    // What was typed stays, so the password can be corrected.
    expect(await page.getByLabel('Email').inputValue()).toBe(BOOTSTRAP.email);
    await screenshot(page, 'sign-in-error');
  });

  it('signs in, shows the organization, and signs out', async () => {
    await page.goto(`${stack.url}/sign-in`);
    await fillChecked(page.getByLabel('Email'), BOOTSTRAP.email);
    await fillChecked(page.getByLabel('Password'), BOOTSTRAP.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`Signed in as ${BOOTSTRAP.email}`).waitFor();
    expect(await page.getByText(BOOTSTRAP.org).count()).toBeGreaterThan(0);
    await screenshot(page, 'home');
    // The session is an HttpOnly cookie: a reload stays signed in.
    await page.reload();
    await page.getByText(`Signed in as ${BOOTSTRAP.email}`).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in$/);
    await page.goto(`${stack.url}/`);
    await page.waitForURL(/\/sign-in$/);
  });

  it.each([['/%09/evil.example'], ['//evil.example'], ['/%5Cevil.example']])(
    'after signing in with next=%s the browser stays on the dashboard',
    async (next) => {
      await page.goto(`${stack.url}/sign-in?next=${next}`);
      await fillChecked(page.getByLabel('Email'), BOOTSTRAP.email);
      await fillChecked(page.getByLabel('Password'), BOOTSTRAP.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText(`Signed in as ${BOOTSTRAP.email}`).waitFor();
      expect(new URL(page.url()).origin).toBe(stack.url);
    },
  );

  it('after signing in with next= one of our pages, the browser goes there', async () => {
    await page.goto(`${stack.url}/sign-in?next=${encodeURIComponent('/audit')}`);
    await fillChecked(page.getByLabel('Email'), BOOTSTRAP.email);
    await fillChecked(page.getByLabel('Password'), BOOTSTRAP.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.url}/audit`);
  });

  it('the account page lists sessions, changes the password and so signs out the other sessions', async () => {
    const who = await newPerson();
    const other = await apiLogin(who.email, who.password);
    await page.goto(`${stack.url}/sign-in?next=%2Faccount`);
    await fillChecked(page.getByLabel('Email'), who.email);
    await fillChecked(page.getByLabel('Password'), who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
    // The accept's session, the script's and this one.
    await page.locator('[data-session-current]').getByText('(this session)').waitFor();
    expect(await page.locator('tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.content()).not.toMatch(/ptcs_/);
    await screenshot(page, 'account');

    await fillChecked(page.getByLabel('Current password'), 'not-the-password');
    await fillChecked(page.getByLabel('New password', { exact: true }), `${who.password}-new`);
    await fillChecked(page.getByLabel('Confirm new password'), `${who.password}-new`);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('is wrong').waitFor();
    expect(await apiMe(other)).toBe(200);

    await fillChecked(page.getByLabel('Current password'), who.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed; your other sessions are signed out').waitFor();
    expect(await apiMe(other)).toBe(401);
    // This session stays, and now it is the only one.
    await page.reload();
    await page.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
    await page.locator('[data-session-current]').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    await expect(apiLogin(who.email, `${who.password}-new`)).resolves.toMatch(/^ptcs_/);
  });

  it('signing out everywhere ends this session and every other', async () => {
    const who = await newPerson();
    const other = await apiLogin(who.email, who.password);
    await page.goto(`${stack.url}/sign-in?next=%2Faccount`);
    await fillChecked(page.getByLabel('Email'), who.email);
    await fillChecked(page.getByLabel('Password'), who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.waitForURL(/\/sign-in$/);
    expect(await apiMe(other)).toBe(401);
    await page.goto(`${stack.url}/account`);
    await page.waitForURL(/\/sign-in/);
  });

  it('works on a narrow screen', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${stack.url}/sign-in`);
    const box = await page.getByRole('button', { name: 'Sign in' }).boundingBox();
    expect(box).not.toBeNull();
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(375);
    await screenshot(page, 'sign-in-narrow');
  });
});
