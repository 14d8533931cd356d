import type { UsageReport } from '@portcullis/shared/usage';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addMember,
  apiAs,
  callGateway,
  FULL_ADMIN,
  type FullStack,
  fillChecked,
  launchBrowser,
  screenshot,
  signedInPage,
  signIn,
  startFullStack,
  unique,
  waitUntil,
} from './stack';

interface CreatedKey {
  key: { id: string; name: string; prefix: string };
  secret: string;
}

const MEMBER = {
  email: 'obs-member@portcullis.test',
  password: 'obs-member-password-1',
  name: 'Olive Member',
};

/**
 * Usage, audit log and overview pages in a real browser against the real stack. The usage every test
 * reads is made once, before any test: Alpha key 3 requests, Beta key 2 and a member's key 1, all to
 * demo-gpt; no test adds requests, so each one's figures hold whatever ran before it. Audit tests
 * compare the page with the API at the time they run, and make the events they look for themselves.
 */
let stack: FullStack;
let browser: Browser;
let adminContext: BrowserContext;
let page: Page;
let memberPage: Page;
let alpha: CreatedKey;
let beta: CreatedKey;
let memberKey: CreatedKey;
const VIEWPORT = { width: 1280, height: 900 };

/**
 * How the console writes a spend under a cent, worked out here on its own: "$" and three significant
 * digits (one request to the demo models costs micro-dollars, which must not read "$0.00").
 */
const formatSpend = (usd: number): string => {
  expect(usd).toBeGreaterThan(0);
  expect(usd).toBeLessThan(0.01);
  return `$${Number(usd.toPrecision(3))}`;
};

/** Page state arrives asynchronously (navigation, queries): wait for it, within bounds. */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000, interval: 100 });

const org = () => `/orgs/${stack.fleet.orgId}`;
const integer = new Intl.NumberFormat('en-US');

const last24h = () =>
  `from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date().toISOString()}`;

/** Polls the usage API (bounded) until it reports at least `requests` requests. */
async function waitForUsage(token: string, requests: number, query = ''): Promise<UsageReport> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const report = await apiAs<UsageReport>(
      stack,
      token,
      'GET',
      `${org()}/usage?bucket=hour&${last24h()}${query}`,
    );
    if (report.totals.requests >= requests) return report;
    if (Date.now() > deadline) {
      throw new Error(`usage shows ${report.totals.requests} of ${requests} requests after 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function chat(secret: string, times: number, model = 'demo-gpt'): Promise<void> {
  for (let i = 0; i < times; i++) {
    const { status, answer } = await callGateway(stack, secret, { model, content: `Hello number ${i}` });
    expect(status).toBe(200);
    expect(answer).toBeTruthy();
  }
}

/** The number under a headline label ("Requests", "Spend", …) in a description list. */
const tileValue = (scope: Page | Locator, label: string | RegExp): Locator =>
  scope
    .getByRole('term')
    .filter({ hasText: typeof label === 'string' ? new RegExp(`^${label}$`) : label })
    .locator('xpath=following-sibling::dd[1]');

const totals = (p: Page) => p.getByLabel('Totals', { exact: true });

/** Rows of the audit table (detail rows excluded), by their action cell. */
const auditActions = async (p: Page): Promise<string[]> =>
  p.locator('table').first().locator(':scope > tbody > tr > td:nth-child(4)').allTextContents();

/** The page itself never scrolls sideways at this width; wide tables scroll inside their frame. */
async function expectNoSidewaysScroll(p: Page): Promise<void> {
  const { overflow, offenders } = await p.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    offenders: [...document.querySelectorAll('main *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 10)
      .map((el) => `${el.tagName.toLowerCase()}: ${el.textContent?.slice(0, 40)}`),
  }));
  expect(overflow, `wider than the screen: ${offenders.join(' | ')}`).toBeLessThanOrEqual(0);
}

beforeAll(async () => {
  stack = await startFullStack();
  browser = await launchBrowser();
  // en-US: a date field's segments are month, day, year.
  adminContext = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US' });
  page = await adminContext.newPage();

  alpha = await stack.fleet.api<CreatedKey>('POST', `${org()}/keys`, { name: 'Alpha key' });
  beta = await stack.fleet.api<CreatedKey>('POST', `${org()}/keys`, { name: 'Beta key' });
  await chat(alpha.secret, 3);
  await chat(beta.secret, 2);

  const accepted = await addMember(stack, MEMBER);
  // Members reach a model through a grant.
  await stack.fleet.api('POST', `${org()}/users/${accepted.user.id}/grants`, { model: 'demo-gpt' });
  memberKey = await apiAs<CreatedKey>(stack, accepted.token, 'POST', `${org()}/keys`, { name: 'Member key' });
  // The gateway learns of the grant through its snapshot, a moment later: the first 200 is the one request.
  await waitUntil(
    'the gateway lets the member reach demo-gpt',
    async () => (await callGateway(stack, memberKey.secret)).status === 200,
  );
  await waitForUsage(accepted.token, 1);
  await waitForUsage(stack.fleet.adminToken, 6);

  await signIn(page, stack.url, FULL_ADMIN.email, FULL_ADMIN.password);
  memberPage = await signedInPage(browser, stack.url, MEMBER, VIEWPORT);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

// A test that failed on a narrow screen does not leave the next one there.
beforeEach(() => page.setViewportSize(VIEWPORT));

/** The usage page with `query` in its URL, once its totals have loaded. */
async function openUsage(query = '', requests = '6'): Promise<void> {
  await page.goto(`${stack.url}/usage${query}`);
  await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
  await eventually(() => tileValue(totals(page), 'Requests').textContent()).toBe(requests);
}

describe('usage page', () => {
  it('shows totals that match the API and every key in the by-key table', async () => {
    const rest = await waitForUsage(stack.fleet.adminToken, 6);
    expect(rest.totals.requests).toBe(6);
    await openUsage('', integer.format(rest.totals.requests));
    expect(await tileValue(totals(page), 'Spend').textContent()).toBe(formatSpend(rest.totals.costUsd));
    expect(rest.totals.costUsd).toBeGreaterThan(0);
    expect(await tileValue(totals(page), 'Tokens').textContent()).toBe(
      integer.format(rest.totals.inputTokens + rest.totals.outputTokens),
    );

    // One chart per measure, hourly for the last 24 hours.
    for (const title of [
      'Requests per hour',
      'Input tokens per hour',
      'Output tokens per hour',
      'Spend (USD) per hour',
    ]) {
      await expect
        .poll(() =>
          page.getByRole('figure', { name: new RegExp(`^${title.replace(/[()]/g, '\\$&')}`) }).count(),
        )
        .toBe(1);
    }

    // 24 whole hours, each its own bar (the data table under the chart: a header and 24 rows).
    const hourly = page.getByRole('figure', { name: /^Requests per hour/ });
    expect(await hourly.getByRole('row').count()).toBe(25);
    const cells = await hourly.getByRole('cell').allTextContents();
    const values = cells.filter((_, i) => i % 2 === 1).map(Number);
    expect(values.reduce((sum, v) => sum + v, 0)).toBe(6);

    const byKey = page.getByRole('table', { name: 'Usage by key' });
    const alphaRow = byKey.getByRole('row', { name: /Alpha key/ });
    const betaRow = byKey.getByRole('row', { name: /Beta key/ });
    const memberRow = byKey.getByRole('row', { name: /Member key/ });
    await alphaRow.waitFor();
    expect(await alphaRow.getByRole('cell').first().textContent()).toBe('3');
    expect(await betaRow.getByRole('cell').first().textContent()).toBe('2');
    expect(await memberRow.getByRole('cell').first().textContent()).toBe('1');
    // Share of requests: 3, 2 and 1 of 6.
    expect(await alphaRow.getByRole('cell').last().textContent()).toBe('50%');
    expect(await betaRow.getByRole('cell').last().textContent()).toBe('33%');
    expect(await memberRow.getByRole('cell').last().textContent()).toBe('17%');
    await screenshot(page, 'usage');

    await page.getByRole('tab', { name: 'By model' }).click();
    await page.waitForURL(/[?&]by=model/);
    const modelRow = page
      .getByRole('table', { name: 'Usage by model' })
      .getByRole('row', { name: /demo-gpt/ });
    await modelRow.waitFor();
    expect(await modelRow.getByRole('cell').first().textContent()).toBe('6');
    await page.getByRole('tab', { name: 'By key' }).click();
    await page.waitForURL((url) => !url.search.includes('by=model'));
  });

  it('filters by key: the totals and the URL follow', async () => {
    const rest = await waitForUsage(stack.fleet.adminToken, 3, `&keyId=${alpha.key.id}`);
    await openUsage();
    await page.getByLabel('API key').selectOption(alpha.key.id);
    await page.waitForURL(new RegExp(`keyId=${alpha.key.id}`));
    await eventually(() => tileValue(totals(page), 'Requests').textContent()).toBe('3');
    expect(await tileValue(totals(page), 'Spend').textContent()).toBe(formatSpend(rest.totals.costUsd));
    const byKey = page.getByRole('table', { name: 'Usage by key' });
    await byKey.getByRole('row', { name: /Alpha key/ }).waitFor();
    expect(await byKey.getByRole('row', { name: /Beta key/ }).count()).toBe(0);
    await screenshot(page, 'usage-filtered');
  });

  it('switches the range, which survives a reload', async () => {
    await openUsage(`?keyId=${alpha.key.id}`, '3');
    await page.getByLabel('Range').selectOption('7d');
    await page.waitForURL(/[?&]range=7d/);
    await page.getByRole('figure', { name: /^Requests per day/ }).waitFor();
    await eventually(() => tileValue(totals(page), 'Requests').textContent()).toBe('3');

    await page.reload();
    await page.getByRole('figure', { name: /^Requests per day/ }).waitFor();
    expect(await page.getByLabel('Range').inputValue()).toBe('7d');
    expect(await page.getByLabel('API key').inputValue()).toBe(alpha.key.id);
    await eventually(() => tileValue(totals(page), 'Requests').textContent()).toBe('3');

    // A custom range: an end before the start is refused next to the field, without losing it.
    await page.getByLabel('Range').selectOption('custom');
    await page.waitForURL(/[?&]range=custom/);
    const today = new Date().toISOString().slice(0, 10);
    await fillChecked(page.getByLabel('To (UTC, inclusive)'), '2020-01-01');
    await page.getByText('Must be on or after the start date').waitFor();
    expect(await page.getByLabel('To (UTC, inclusive)').inputValue()).toBe('2020-01-01');
    // Typed key by key (month, day, year), as a user does: no key may be lost while the URL catches up.
    const [year, month, day] = today.split('-');
    await page.getByLabel('To (UTC, inclusive)').focus();
    await page.keyboard.type(`${month}${day}${year}`);
    expect(await page.getByLabel('To (UTC, inclusive)').inputValue()).toBe(today);
    await page.waitForURL(new RegExp(`to=${today}`));
    await page.getByText('Must be on or after the start date').waitFor({ state: 'detached' });
    await eventually(() => tileValue(totals(page), 'Requests').textContent()).toBe('3');
    await page.reload();
    expect(await page.getByLabel('Range').inputValue()).toBe('custom');
    expect(await page.getByLabel('To (UTC, inclusive)').inputValue()).toBe(today);
    await eventually(() => tileValue(totals(page), 'Requests').textContent()).toBe('3');

    // Back to everything.
    await page.getByLabel('API key').selectOption('');
    await page.waitForURL((url) => !url.search.includes('keyId'));
    await page.getByLabel('Range').selectOption('24h');
    await page.waitForURL((url) => !url.search.includes('keyId') && !url.search.includes('range'));
    await eventually(() => tileValue(totals(page), 'Requests').textContent()).toBe('6');
  });

  it('shows an empty state with a way forward when a filter matches nothing', async () => {
    await openUsage();
    await page.getByLabel('Model', { exact: true }).selectOption('demo-claude');
    await page.getByRole('heading', { name: 'No usage matches these filters' }).waitFor();
    expect(await tileValue(totals(page), 'Requests').textContent()).toBe('0');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await eventually(() => tileValue(totals(page), 'Requests').textContent()).toBe('6');
    expect(page.url()).not.toContain('model=');
  });

  it('fits a narrow screen', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${stack.url}/usage`);
    await page.getByRole('table', { name: 'Usage by key' }).waitFor();
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'usage-narrow');
  });

  it("shows the API's refusal of a filter under that filter", async () => {
    await page.goto(`${stack.url}/usage?keyId=not-a-key`);
    const keySelect = page.getByLabel('API key');
    await page.getByText('Must be a key id (a UUID)').waitFor();
    expect(await keySelect.getAttribute('aria-invalid')).toBe('true');
    expect(await keySelect.inputValue()).toBe('not-a-key');
    await screenshot(page, 'usage-error');
    // Choosing a real key fixes it.
    await keySelect.selectOption(beta.key.id);
    await eventually(() => tileValue(totals(page), 'Requests').textContent()).toBe('2');
    expect(await keySelect.getAttribute('aria-invalid')).toBeNull();
    expect(await page.getByText('Must be a key id (a UUID)').count()).toBe(0);
  });
});

interface AuditEvent {
  seq: number;
  action: string;
}
const auditEvents = async (query = '') =>
  (await stack.fleet.api<{ data: AuditEvent[] }>('GET', `${org()}/audit-events?limit=50${query}`)).data;
const verifyChain = () =>
  stack.fleet.api<{ ok: boolean; checked: number }>('GET', `${org()}/audit-events/verify`);

describe('audit log page', () => {
  it('shows the chain verification with the API count, and the events the API lists', async () => {
    const verify = await verifyChain();
    expect(verify.ok).toBe(true);
    const events = await auditEvents();
    await page.goto(`${stack.url}/audit`);
    await page.getByText(`Chain verified: ${integer.format(verify.checked)} events, intact`).waitFor();

    // The events list is its own request: it may arrive after the verification result.
    await eventually(() => auditActions(page)).toEqual(events.map((e) => e.action));
    expect(await auditActions(page)).toContain('key.created');
    expect(await auditActions(page)).toContain('model.created');
    await screenshot(page, 'audit');

    // One more event: verifying again counts it (the old result stays on screen while it runs).
    await stack.fleet.api('POST', `${org()}/keys`, { name: unique('Audited key') });
    const again = await verifyChain();
    expect(again.checked).toBeGreaterThan(verify.checked);
    await page.getByRole('button', { name: 'Verify again' }).click();
    await page.getByText(`Chain verified: ${integer.format(again.checked)} events, intact`).waitFor();

    await page.setViewportSize({ width: 375, height: 800 });
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'audit-narrow');
  });

  it('filters by action (in the URL) and expands a row to its details', async () => {
    const newest = await stack.fleet.api<CreatedKey>('POST', `${org()}/keys`, { name: unique('Newest key') });
    const created = await auditEvents('&action=key.created');
    await page.goto(`${stack.url}/audit`);
    await page.getByLabel('Action', { exact: true }).selectOption('key.created');
    await page.waitForURL(/[?&]action=key\.created/);
    await eventually(() => auditActions(page)).toEqual(created.map(() => 'key.created'));

    // Newest first: the key this test made is the first row.
    await page
      .getByRole('button', { name: /^Show details of event #\d+ \(key\.created\)/ })
      .first()
      .click();
    const details = page.locator('[id^="audit-details-"]');
    await details.waitFor();
    expect(await details.getByRole('heading', { name: 'After' }).count()).toBe(1);
    const after = await details.locator('pre').last().textContent();
    expect(after).toContain(`"name": "${newest.key.name}"`);
    expect(after).not.toContain(newest.secret);
    expect(await details.textContent()).toContain(newest.key.id);
    await screenshot(page, 'audit-expanded');
    await page.getByRole('button', { name: /^Hide details of event/ }).click();
    await details.waitFor({ state: 'detached' });

    // A typed target id narrows to one object's events.
    await fillChecked(page.getByLabel('Target id'), alpha.key.id);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(new RegExp(`targetId=${alpha.key.id}`));
    await eventually(() => auditActions(page)).toEqual(['key.created']);
    await page.reload();
    await eventually(() => auditActions(page)).toEqual(['key.created']);
    expect(await page.getByLabel('Target id').inputValue()).toBe(alpha.key.id);

    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.waitForURL((url) => !url.search.includes('action') && !url.search.includes('targetId'));
  });

  it('filters by an action typed by hand, and says so when nothing matches', async () => {
    const all = await auditEvents();
    await page.goto(`${stack.url}/audit`);
    await eventually(() => auditActions(page)).toEqual(all.map((e) => e.action));
    await page.getByLabel('Action', { exact: true }).selectOption('Other action…');
    await fillChecked(page.getByLabel('Action name'), 'key.archived');
    await page.getByLabel('Action name').press('Enter');
    await page.waitForURL(/[?&]action=key\.archived/);
    await page.getByRole('heading', { name: 'No events match these filters' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'No events match these filters' }).waitFor();
    expect(await page.getByLabel('Action name').inputValue()).toBe('key.archived');
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.waitForURL((url) => !url.search.includes('action'));
    await eventually(() => auditActions(page)).toEqual(all.map((e) => e.action));
  });

  it('pages with Next and Previous, the cursor trail in the URL', async () => {
    // 55 more events (the page holds 50): one key renamed over and over.
    const churn = await stack.fleet.api<CreatedKey>('POST', `${org()}/keys`, { name: unique('Churn key') });
    for (let i = 1; i <= 54; i++) {
      await stack.fleet.api('PATCH', `${org()}/keys/${churn.key.id}`, { name: unique('Churn key') });
    }
    const all = await stack.fleet.api<{ data: { seq: number }[] }>('GET', `${org()}/audit-events?limit=200`);
    // Two pages in all: what this file does stays well under 100 events.
    expect(all.data.length).toBeGreaterThan(55);
    expect(all.data.length).toBeLessThanOrEqual(100);
    await page.goto(`${stack.url}/audit`);
    await eventually(async () => (await auditActions(page)).length).toBe(50);
    expect(await page.getByText('Page 1', { exact: true }).count()).toBe(1);

    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.waitForURL(/[?&]cursors=/);
    await eventually(async () => (await auditActions(page)).length).toBe(all.data.length - 50);
    expect(await page.getByText('Page 2', { exact: true }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Next', exact: true }).isDisabled()).toBe(true);
    // The oldest record is the organization's creation.
    expect((await auditActions(page)).at(-1)).toBe('org.created');

    await page.reload();
    await eventually(async () => (await auditActions(page)).length).toBe(all.data.length - 50);
    await page.getByRole('button', { name: 'Previous', exact: true }).click();
    await page.waitForURL((url) => !url.search.includes('cursors'));
    await eventually(async () => (await auditActions(page)).length).toBe(50);
    expect((await auditActions(page))[0]).toBe('key.updated');
  });
});

describe('overview', () => {
  it('shows active keys, the last 24 hours and gateways online', async () => {
    const activeKeys = async () =>
      (await stack.fleet.api<{ data: unknown[] }>('GET', `${org()}/keys?status=active&limit=200`)).data
        .length;
    const rest = await waitForUsage(stack.fleet.adminToken, 6);
    expect(rest.totals.requests).toBe(6);
    const before = await activeKeys();
    await page.goto(`${stack.url}/`);
    await page.getByText(`Signed in as ${FULL_ADMIN.email}`).waitFor();
    const glance = page.getByLabel(/at a glance$/);
    await eventually(() => tileValue(glance, 'Active keys').textContent()).toBe(String(before));
    await expect
      .poll(() => tileValue(glance, 'Requests, last 24 h').textContent())
      .toBe(integer.format(rest.totals.requests));
    expect(await tileValue(glance, 'Spend, last 24 h').textContent()).toBe(formatSpend(rest.totals.costUsd));
    await eventually(() => tileValue(glance, 'Gateways online').textContent()).toBe('1 of 1');
    // The organizations card is still there.
    await page.getByRole('heading', { name: 'Organizations' }).waitFor();
    await screenshot(page, 'overview');
    await page.setViewportSize({ width: 375, height: 800 });
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'overview-narrow');
    await page.setViewportSize(VIEWPORT);

    // One more active key: the count follows.
    await stack.fleet.api('POST', `${org()}/keys`, { name: unique('Counted key') });
    expect(await activeKeys()).toBe(before + 1);
    await page.reload();
    await eventually(() => tileValue(glance, 'Active keys').textContent()).toBe(String(before + 1));

    await glance.getByRole('link', { name: 'View usage' }).click();
    await page.waitForURL(/\/usage$/);
  });
});

describe('a member', () => {
  it('sees "Admins only" on the audit log', async () => {
    await memberPage.goto(`${stack.url}/audit`);
    await memberPage.getByRole('heading', { name: 'Admins only' }).waitFor();
    expect(await memberPage.getByText(/Chain verified/).count()).toBe(0);
    expect(
      await memberPage
        .getByRole('navigation', { name: 'Console' })
        .getByRole('link', { name: 'Audit log' })
        .count(),
    ).toBe(0);
    await screenshot(memberPage, 'audit-member');
  });

  it('sees only their own usage', async () => {
    await memberPage.goto(`${stack.url}/usage`);
    await eventually(() => tileValue(totals(memberPage), 'Requests').textContent()).toBe('1');
    const byKey = memberPage.getByRole('table', { name: 'Usage by key' });
    await byKey.getByRole('row', { name: /Member key/ }).waitFor();
    expect(await byKey.getByRole('row', { name: /Alpha key|Beta key/ }).count()).toBe(0);
    // No user or group filters, no by-user tab: there is only them.
    expect(await memberPage.getByLabel('User', { exact: true }).count()).toBe(0);
    expect(await memberPage.getByRole('tab', { name: 'By user' }).count()).toBe(0);
    // Their key filter offers their own key only.
    // The keys list is its own request: poll until it has filled the select.
    await eventually(() => memberPage.getByLabel('API key').locator('option').allTextContents()).toEqual([
      'All keys',
      `Member key (${memberKey.key.prefix}…)`,
    ]);
    await screenshot(memberPage, 'usage-member');

    await memberPage.goto(`${stack.url}/`);
    const glance = memberPage.getByLabel(/at a glance$/);
    await eventually(() => tileValue(glance, 'Your requests, last 24 h').textContent()).toBe('1');
    // The keys count is its own request: it may arrive after the usage.
    await eventually(() => tileValue(glance, 'Your active keys').textContent()).toBe('1');
    expect(await glance.getByText('Gateways online').count()).toBe(0);
  });
});
