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

  it('works on a narrow screen', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${stack.url}/sign-in`);
    const box = await page.getByRole('button', { name: 'Sign in' }).boundingBox();
    expect(box).not.toBeNull();
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(375);
    await screenshot(page, 'sign-in-narrow');
  });
});
