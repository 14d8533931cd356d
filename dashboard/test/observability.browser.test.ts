import type { UsageReport } from '@portcullis/shared/usage';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  apiAs,
  callGateway,
  FULL_ADMIN,
  type FullStack,
  launchBrowser,
  screenshot,
  signedInPage,
  signIn,
  startFullStack,
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

let stack: FullStack;
let browser: Browser;
let adminContext: BrowserContext;
let page: Page;
let alpha: CreatedKey;
let beta: CreatedKey;

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
  adminContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await adminContext.newPage();

  alpha = await stack.fleet.api<CreatedKey>('POST', `${org()}/keys`, { name: 'Alpha key' });
  beta = await stack.fleet.api<CreatedKey>('POST', `${org()}/keys`, { name: 'Beta key' });
  await chat(alpha.secret, 3);
  await chat(beta.secret, 2);
  await waitForUsage(stack.fleet.adminToken, 5);

  await signIn(page, stack.url, FULL_ADMIN.email, FULL_ADMIN.password);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('usage page', () => {
  it('shows totals that match the API and both keys in the by-key table', async () => {
    const rest = await waitForUsage(stack.fleet.adminToken, 5);
    await page.goto(`${stack.url}/usage`);
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();

    await expect
      .poll(() => tileValue(totals(page), 'Requests').textContent())
      .toBe(integer.format(rest.totals.requests));
    expect(rest.totals.requests).toBe(5);
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
    expect(values.reduce((sum, v) => sum + v, 0)).toBe(5);

    const byKey = page.getByRole('table', { name: 'Usage by key' });
    const alphaRow = byKey.getByRole('row', { name: /Alpha key/ });
    const betaRow = byKey.getByRole('row', { name: /Beta key/ });
    await alphaRow.waitFor();
    expect(await alphaRow.getByRole('cell').first().textContent()).toBe('3');
    expect(await betaRow.getByRole('cell').first().textContent()).toBe('2');
    // Share of requests: 3 of 5 and 2 of 5.
    expect(await alphaRow.getByRole('cell').last().textContent()).toBe('60%');
    expect(await betaRow.getByRole('cell').last().textContent()).toBe('40%');
    await screenshot(page, 'usage');

    await page.getByRole('tab', { name: 'By model' }).click();
    await page.waitForURL(/[?&]by=model/);
    const modelRow = page
      .getByRole('table', { name: 'Usage by model' })
      .getByRole('row', { name: /demo-gpt/ });
    expect(await modelRow.getByRole('cell').first().textContent()).toBe('5');
    await page.getByRole('tab', { name: 'By key' }).click();
  });

  it('filters by key: the totals and the URL follow', async () => {
    const rest = await waitForUsage(stack.fleet.adminToken, 3, `&keyId=${alpha.key.id}`);
    await page.getByLabel('API key').selectOption(alpha.key.id);
    await page.waitForURL(new RegExp(`keyId=${alpha.key.id}`));
    await eventually(() => tileValue(totals(page), 'Requests').textContent()).toBe('3');
    expect(await tileValue(totals(page), 'Spend').textContent()).toBe(formatSpend(rest.totals.costUsd));
    const byKey = page.getByRole('table', { name: 'Usage by key' });
    expect(await byKey.getByRole('row', { name: /Beta key/ }).count()).toBe(0);
    await screenshot(page, 'usage-filtered');
  });

  it('switches the range, which survives a reload', async () => {
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
    await page.getByLabel('To (UTC, inclusive)').fill('2020-01-01');
    await page.getByText('Must be on or after the start date').waitFor();
    expect(await page.getByLabel('To (UTC, inclusive)').inputValue()).toBe('2020-01-01');
    await page.getByLabel('To (UTC, inclusive)').fill(today);
    await page.waitForURL(new RegExp(`to=${today}`));
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
    await eventually(() => tileValue(totals(page), 'Requests').textContent()).toBe('5');
  });

  it('shows an empty state with a way forward when a filter matches nothing', async () => {
    await page.getByLabel('Model', { exact: true }).selectOption('demo-claude');
    await page.getByRole('heading', { name: 'No usage matches these filters' }).waitFor();
    expect(await tileValue(totals(page), 'Requests').textContent()).toBe('0');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await eventually(() => tileValue(totals(page), 'Requests').textContent()).toBe('5');
    expect(page.url()).not.toContain('model=');
  });

  it('fits a narrow screen', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${stack.url}/usage`);
    await page.getByRole('table', { name: 'Usage by key' }).waitFor();
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'usage-narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
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
  });
});

describe('audit log page', () => {
  it('shows the chain verification with the API count, and the events of this test', async () => {
    const verify = await stack.fleet.api<{ ok: boolean; checked: number }>(
      'GET',
      `${org()}/audit-events/verify`,
    );
    expect(verify.ok).toBe(true);
    await page.goto(`${stack.url}/audit`);
    await page.getByText(`Chain verified: ${integer.format(verify.checked)} events, intact`).waitFor();

    // The events list is its own request: it may arrive after the verification result.
    await eventually(async () => (await auditActions(page)).filter((a) => a === 'key.created')).toHaveLength(
      2,
    );
    expect(await auditActions(page)).toContain('model.created');
    await screenshot(page, 'audit');

    await page.getByRole('button', { name: 'Verify again' }).click();
    await page.getByText(`Chain verified: ${integer.format(verify.checked)} events, intact`).waitFor();

    await page.setViewportSize({ width: 375, height: 800 });
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'audit-narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('filters by action (in the URL) and expands a row to its details', async () => {
    await page.getByLabel('Action', { exact: true }).selectOption('key.created');
    await page.waitForURL(/[?&]action=key\.created/);
    await eventually(() => auditActions(page)).toEqual(['key.created', 'key.created']);

    // Newest first: Beta was created after Alpha.
    await page
      .getByRole('button', { name: /^Show details of event #\d+ \(key\.created\)/ })
      .first()
      .click();
    const details = page.locator('[id^="audit-details-"]');
    await details.waitFor();
    expect(await details.getByRole('heading', { name: 'After' }).count()).toBe(1);
    const after = await details.locator('pre').last().textContent();
    expect(after).toContain('"name": "Beta key"');
    expect(after).not.toContain(beta.secret);
    expect(await details.textContent()).toContain(beta.key.id);
    await screenshot(page, 'audit-expanded');
    await page.getByRole('button', { name: /^Hide details of event/ }).click();
    expect(await details.count()).toBe(0);

    // A typed target id narrows to one object's events.
    await page.getByLabel('Target id').fill(alpha.key.id);
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
    await page.getByLabel('Action', { exact: true }).selectOption('Other action…');
    await page.getByLabel('Action name').fill('key.archived');
    await page.getByLabel('Action name').press('Enter');
    await page.waitForURL(/[?&]action=key\.archived/);
    await page.getByRole('heading', { name: 'No events match these filters' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'No events match these filters' }).waitFor();
    expect(await page.getByLabel('Action name').inputValue()).toBe('key.archived');
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.waitForURL((url) => !url.search.includes('action'));
    await eventually(async () => (await auditActions(page)).length).toBeGreaterThan(2);
  });

  it('pages with Next and Previous, the cursor trail in the URL', async () => {
    // 55 more events (the page holds 50): one key renamed over and over.
    const churn = await stack.fleet.api<CreatedKey>('POST', `${org()}/keys`, { name: 'Churn key 0' });
    for (let i = 1; i <= 54; i++) {
      await stack.fleet.api('PATCH', `${org()}/keys/${churn.key.id}`, { name: `Churn key ${i}` });
    }
    const all = await stack.fleet.api<{ data: { seq: number }[] }>('GET', `${org()}/audit-events?limit=200`);
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
    const keys = await stack.fleet.api<{ data: { status: string }[] }>(
      'GET',
      `${org()}/keys?status=active&limit=200`,
    );
    const rest = await waitForUsage(stack.fleet.adminToken, 5);
    await page.goto(`${stack.url}/`);
    await page.getByText(`Signed in as ${FULL_ADMIN.email}`).waitFor();
    const glance = page.getByLabel(/at a glance$/);
    await eventually(() => tileValue(glance, 'Active keys').textContent()).toBe(String(keys.data.length));
    expect(keys.data.length).toBe(3);
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
    await page.setViewportSize({ width: 1280, height: 900 });

    await glance.getByRole('link', { name: 'View usage' }).click();
    await page.waitForURL(/\/usage$/);
  });
});

describe('a member', () => {
  let memberPage: Page;
  let memberKey: CreatedKey;

  beforeAll(async () => {
    const accepted = await addMember(stack, MEMBER);
    // Members reach a model through a grant.
    await stack.fleet.api('POST', `${org()}/users/${accepted.user.id}/grants`, { model: 'demo-gpt' });
    memberKey = await apiAs<CreatedKey>(stack, accepted.token, 'POST', `${org()}/keys`, {
      name: 'Member key',
    });
    // The gateway learns of the grant through its snapshot, a moment later.
    await waitUntil(
      'the gateway lets the member reach demo-gpt',
      async () => (await callGateway(stack, memberKey.secret)).status === 200,
    );
    await waitForUsage(accepted.token, 1);
    await waitForUsage(stack.fleet.adminToken, 6);

    memberPage = await signedInPage(browser, stack.url, MEMBER);
  }, 120_000);

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
    expect(await tileValue(glance, 'Your active keys').textContent()).toBe('1');
    expect(await glance.getByText('Gateways online').count()).toBe(0);
    await memberPage.close();
  });
});
