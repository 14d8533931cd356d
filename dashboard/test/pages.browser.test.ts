import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NAV_ITEMS } from '../app/(console)/_components/nav-items';
import {
  FULL_ADMIN,
  type FullStack,
  launchBrowser,
  overflowing,
  screenshot,
  signedInPage,
  signIn,
  startFullStack,
  unique,
} from './stack';

/**
 * Every console page, as an admin, at 1280 px and at 375 px: it renders its own heading, every form
 * control has an accessible name, nothing overflows the viewport sideways (wide tables scroll inside
 * their own box), and the browser logs no errors. One screenshot per page and width.
 */
let stack: FullStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];

/** Collects what `p` logs as an error, with the page's address. */
const collectErrors = (p: Page) => {
  p.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${p.url()}: ${message.text()}`);
  });
  p.on('pageerror', (error) => consoleErrors.push(`${p.url()}: ${error.message}`));
};

beforeAll(async () => {
  stack = await startFullStack();
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  collectErrors(page);
  await signIn(page, stack.url, FULL_ADMIN.email, FULL_ADMIN.password);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

// Each test checks that the browser logged no error while it ran.
afterEach(() => {
  expect(consoleErrors.splice(0)).toEqual([]);
});

/** Form controls without an accessible name (label, aria-label or aria-labelledby). */
const unlabelledControls = (p: Page): Promise<string[]> =>
  p.evaluate(() => {
    const controls = Array.from(document.querySelectorAll('input, select, textarea')) as HTMLInputElement[];
    return controls
      .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
      .filter((el) => {
        const labelled = el.labels && el.labels.length > 0;
        return !labelled && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby');
      })
      .map((el) => el.outerHTML.slice(0, 120));
  });

const pages = [{ href: '/', label: 'Overview' }, ...NAV_ITEMS];

describe('every console page', () => {
  for (const width of [1280, 375]) {
    for (const item of pages) {
      it(`${item.label} (${item.href}) at ${width} px`, async () => {
        await page.setViewportSize({ width, height: 800 });
        await page.goto(`${stack.url}${item.href}`);
        // The page's own heading, once its data has loaded.
        const heading = page.locator('main h1').first();
        await heading.waitFor();
        await page.waitForFunction(() => document.querySelectorAll('[aria-busy="true"]').length === 0, null, {
          timeout: 15_000,
        });
        expect(await page.locator('main h1').count()).toBeGreaterThanOrEqual(1);
        expect(await page.getByText('Admins only').count()).toBe(0);
        expect(await unlabelledControls(page)).toEqual([]);
        expect(await overflowing(page)).toEqual([]);
        const name = item.href === '/' ? 'overview' : item.href.slice(1).replaceAll('/', '-');
        await screenshot(page, `page-${name}-${width}`);
      });
    }
  }

  it("switches organization: the keys list shows that organization's keys, and the choice survives a reload", async () => {
    // A browser of its own: the choice it remembers stays out of the other tests.
    const own = await signedInPage(browser, stack.url, FULL_ADMIN, { width: 1280, height: 800 });
    collectErrors(own);
    try {
      const fleet = stack.fleet;
      const firstKey = unique('key-of-first-org');
      const secondKey = unique('key-of-second-org');
      await fleet.api('POST', `/orgs/${fleet.orgId}/keys`, { name: firstKey });
      const second = await fleet.api<{ id: string; name: string }>('POST', '/orgs', {
        name: unique('Second Org'),
      });
      await fleet.api('POST', `/orgs/${second.id}/keys`, { name: secondKey });

      await own.goto(`${stack.url}/keys?search=key-of`);
      const switcher = own.getByLabel('Organization');
      await own.getByRole('button', { name: firstKey, exact: true }).waitFor();
      expect(await switcher.inputValue()).toBe(fleet.orgId);
      await switcher.selectOption(second.id);
      await own.getByRole('button', { name: secondKey, exact: true }).waitFor();
      expect(await own.getByRole('button', { name: firstKey, exact: true }).count()).toBe(0);
      await screenshot(own, 'org-switched');

      await own.reload();
      await own.getByRole('button', { name: secondKey, exact: true }).waitFor();
      expect(await own.getByLabel('Organization').inputValue()).toBe(second.id);

      await own.getByLabel('Organization').selectOption(fleet.orgId);
      await own.getByRole('button', { name: firstKey, exact: true }).waitFor();
      expect(await own.getByRole('button', { name: secondKey, exact: true }).count()).toBe(0);
    } finally {
      await own.context().close();
    }
  });
});
