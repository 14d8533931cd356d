import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addMember,
  apiAs,
  callGateway as callGatewayAs,
  FULL_ADMIN,
  type FullStack,
  fillChecked,
  launchBrowser,
  newOrganization,
  openInOrganization,
  screenshot,
  signedInPage,
  signIn,
  startFullStack,
  unique,
  waitUntil,
} from './stack';

/**
 * The API keys page in a real browser against the real stack: create a key through the modal, read
 * its one-time secret from the page, call a gateway with it through the `openai` client, and watch the
 * table and the detail dialog follow; rotate, deactivate, activate, ephemeral token and delete, each
 * checked at the gateway or through the REST API. Then validation, filters and sort in the URL, an
 * API 400 under its field, what a member sees, and the narrow screen. Each test makes the keys it works
 * on through the API (with names no other test uses), so any test can run alone.
 */
let stack: FullStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** The admin in a second browser, for an organization that holds nothing yet. */
let elsewhere: Page;
const pageErrors: string[] = [];
const VIEWPORT = { width: 1280, height: 900 };

interface KeyView {
  id: string;
  name: string;
  ownerId: string;
  status: string;
  expiresAt: string | null;
  requestCount: number;
  limits: { requestsPerMinute: number | null };
  metadata: Record<string, unknown>;
  mcp: {
    enabled: boolean;
    mode: string;
    servers: string[];
    tools: Record<string, string[]>;
    resources: Record<string, string[]>;
    prompts: Record<string, string[]>;
  };
  allowCallsWithoutModel: boolean;
}
interface CreatedKey {
  key: KeyView;
  secret: string;
}

const org = () => `/orgs/${stack.fleet.orgId}`;
const api = <T>(method: string, path: string, body?: unknown) => stack.fleet.api<T>(method, path, body);
const listKeys = async (): Promise<KeyView[]> =>
  (await api<{ data: KeyView[] }>('GET', `${org()}/keys?limit=200`)).data;
const getKey = (id: string) => api<KeyView>('GET', `${org()}/keys/${id}`);
const createKey = (body: Record<string, unknown>) => api<CreatedKey>('POST', `${org()}/keys`, body);

/** Calls the gateway's chat completions with `apiKey`; the status and error code it answered with. */
const callGateway = async (apiKey: string): Promise<{ status: number; code: string | null }> => {
  const { status, code } = await callGatewayAs(stack, apiKey);
  return { status, code };
};
/** Gateways learn of a new key through a snapshot delta, a moment after it is made. */
const untilServed = (secret: string) =>
  waitUntil('the gateway accepts the key', async () => (await callGateway(secret)).status === 200);

/** How the table writes a key's share of the organization's requests, worked out here on its own. */
const percent = (share: number): string => {
  const value = share * 100;
  if (value === 0) return '0%';
  if (value < 0.1) return '<0.1%';
  return `${value.toFixed(value < 10 ? 1 : 0)}%`;
};

const dialog = (p: Page, name: string) => p.getByRole('dialog', { name, exact: true });
const row = (p: Page, name: string) =>
  p.getByRole('row').filter({ has: p.getByRole('button', { name, exact: true }) });
/** Cells in the table's column order: Name, Owner, Key, Status, Expires, Last used, Created, Requests, Usage. */
const cell = (r: Locator, index: number) => r.getByRole('cell').nth(index);
const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();

/** The keys page searched for `search` (the search lives in the URL), with the row of key `name` on it. */
async function openKeys(name: string, search = name): Promise<Locator> {
  await page.goto(`${stack.url}/keys?search=${encodeURIComponent(search)}`);
  const keyRow = row(page, name);
  await keyRow.waitFor();
  return keyRow;
}

/** The key's detail dialog, opened from its row, on its Overview. */
async function openDetail(name: string): Promise<Locator> {
  await openKeys(name);
  await page.getByRole('button', { name, exact: true }).click();
  const detail = dialog(page, name);
  await detail.getByRole('tab', { name: 'Overview', selected: true }).waitFor();
  return detail;
}

beforeAll(async () => {
  stack = await startFullStack();
  // An MCP server with a tool catalog, so the MCP tab has something to pick from.
  await api('POST', `${org()}/mcp-servers`, {
    name: 'github',
    url: 'https://mcp.example.com/github',
    tools: [{ name: 'search_issues' }, { name: 'create_issue' }, { name: 'list_repos' }],
  });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: VIEWPORT });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await signIn(page, stack.url, FULL_ADMIN.email, FULL_ADMIN.password);
  elsewhere = await signedInPage(browser, stack.url, FULL_ADMIN, VIEWPORT);
  elsewhere.on('pageerror', (error) => pageErrors.push(error.message));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

// A test that failed on a narrow screen does not leave the next one there.
beforeEach(() => page.setViewportSize(VIEWPORT));
// No test may leave an uncaught error in the page.
afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

describe('API keys in a real browser', () => {
  it('shows an organization without keys how to create the first one', async () => {
    await openInOrganization(elsewhere, stack.url, await newOrganization(stack), '/keys');
    await elsewhere.getByRole('heading', { name: 'No API keys yet' }).waitFor();
    expect(await elsewhere.getByRole('button', { name: 'Create key' }).count()).toBe(2);
    await screenshot(elsewhere, 'keys-empty');
  });

  it('creates a key through the modal, checking fields as they are typed, and reveals the secret once', async () => {
    const name = unique('CI key');
    const keysBefore = (await listKeys()).length;
    await page.goto(`${stack.url}/keys`);
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Create key' }).first().click();
    const create = dialog(page, 'Create API key');
    await create.getByLabel('Name').waitFor();
    await screenshot(page, 'keys-create-basic');

    // Empty name: the error is under Name, and nothing is sent.
    await create.getByRole('button', { name: 'Create key' }).click();
    await create.getByText('Must not be empty').waitFor();
    expect(await create.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    expect(await listKeys()).toHaveLength(keysBefore);

    // Basic: name, 30 days, a requests/min limit; budget details appear only with an amount.
    await fillChecked(create.getByLabel('Name'), name);
    await create.getByLabel('Expiration').selectOption({ label: '30 days' });
    await fillChecked(create.getByLabel('Requests per minute'), '600');
    expect(await create.getByLabel('Budget period').count()).toBe(0);
    await fillChecked(create.getByLabel('Budget (USD)'), '25');
    await create.getByLabel('Budget period').waitFor();
    await fillChecked(create.getByLabel('Budget (USD)'), '');
    await create.getByLabel('Budget period').waitFor({ state: 'detached' });
    // Admins may create a key for someone else.
    expect(await create.getByLabel('Create key for user').count()).toBe(1);

    // Advanced: metadata is checked as it is typed, and the tab is marked while it is wrong.
    await create.getByRole('tab', { name: 'Advanced' }).click();
    const metadata = create.getByLabel('Metadata (JSON)');
    await fillChecked(metadata, '{"team": ');
    await create.getByText(/^Not valid JSON/).waitFor();
    expect(await metadata.getAttribute('aria-invalid')).toBe('true');
    expect(await create.getByRole('tab', { name: 'Advanced (has errors)' }).count()).toBe(1);
    await fillChecked(create.getByLabel('IP allowlist'), '10.0.0.1/8');
    await create.getByText(/^Line 1: /).waitFor();
    await screenshot(page, 'keys-create-advanced-errors');
    await fillChecked(create.getByLabel('IP allowlist'), '10.0.0.0/8\n127.0.0.1');
    await fillChecked(metadata, '{"team": "qa"}');
    await create.getByText(/^Not valid JSON/).waitFor({ state: 'detached' });
    expect(await create.getByText(/^Line 1: /).count()).toBe(0);
    expect(await create.getByRole('tab', { name: 'Advanced', exact: true }).count()).toBe(1);
    await create.getByLabel('demo-gpt').check();
    await create.getByLabel('demo-claude').check();
    await create.getByLabel('Allow calls without a model').check();
    await screenshot(page, 'keys-create-advanced');

    // MCP: allow only one tool of the github server, picked from its searchable catalog.
    await create.getByRole('tab', { name: 'MCP' }).click();
    await create.getByLabel('MCP enabled for this key').check();
    await create.getByLabel('Access mode').selectOption({ label: 'Allow list' });
    await create.getByLabel('Allow github').check();
    await create.getByLabel('Only these tools').check();
    await fillChecked(create.getByLabel('Search tools of github'), 'search');
    await create.getByLabel('create_issue').waitFor({ state: 'detached' });
    await create.getByLabel('search_issues').check();
    // Resources follow the tools (none, as only some tools are allowed) unless listed.
    await create.getByLabel('No resources (as the tools: only some are allowed)').waitFor();
    await create.getByLabel('Only these resources').check();
    await create.getByLabel('Resource URI patterns of github').fill('file:///docs/*\n\nnot a uri');
    await screenshot(page, 'keys-create-mcp');

    await create.getByRole('button', { name: 'Create key' }).click();
    await create.getByText('"not a uri" must be a URI', { exact: false }).waitFor();
    await fillChecked(create.getByLabel('Resource URI patterns of github'), 'file:///docs/*\n\n');
    await create.getByRole('button', { name: 'Create key' }).click();
    const reveal = dialog(page, `Key “${name}”`);
    await reveal.getByText('API key created! Copy it now').waitFor();
    await reveal.getByText('This key will not be shown again. Make sure to save it securely.').waitFor();
    const secret = await text(reveal.locator('.secret-block'));
    expect(secret).toMatch(/^ptcl_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$/);
    // The block selects as a whole, so one click or double-click takes the entire key.
    expect(await reveal.locator('.secret-block').evaluate((el) => getComputedStyle(el).userSelect)).toBe(
      'all',
    );
    const copy = reveal.getByRole('button', { name: /Copy/ });
    await copy.click();
    await reveal.getByText('Copied!').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await screenshot(page, 'keys-reveal');
    await reveal.getByText('Copied!').waitFor({ state: 'detached', timeout: 4000 });
    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'hidden' });
    // Closed means forgotten: the secret is nowhere on the page, in the URL or in storage.
    expect(await page.content()).not.toContain(secret);
    expect(page.url()).not.toContain(secret);
    const stored = await page.evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    );
    expect(stored).not.toContain(secret);

    const keys = await listKeys();
    expect(keys).toHaveLength(keysBefore + 1);
    const key = keys.find((k) => k.name === name);
    expect(key).toMatchObject({
      name,
      limits: { requestsPerMinute: 600 },
      metadata: { team: 'qa' },
      mcp: {
        enabled: true,
        mode: 'allow_list',
        servers: ['github'],
        tools: { github: ['search_issues'] },
        resources: { github: ['file:///docs/*'] },
        prompts: {},
      },
      allowCallsWithoutModel: true,
    });
    const days = (Date.parse(key?.expiresAt ?? '') - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
  }, 120_000);

  it('shows Requests, Last used and Usage change after calls through the gateway', async () => {
    const name = unique('Used key');
    const { key, secret } = await createKey({ name });
    const keyRow = await openKeys(name);
    expect(await text(cell(keyRow, 5))).toBe('Never');
    expect(await text(cell(keyRow, 7))).toBe('0');
    expect(await text(cell(keyRow, 8))).toBe('0%');
    expect(await text(cell(keyRow, 2))).toMatch(/^ptcl_.{3}…/);

    await untilServed(secret);
    for (let i = 0; i < 2; i++) expect(await callGateway(secret)).toEqual({ status: 200, code: null });

    await waitUntil('the table shows 3 requests', async () => {
      await page.reload();
      await keyRow.waitFor();
      return (await text(cell(keyRow, 7))) === '3';
    });
    expect(await text(cell(keyRow, 5))).not.toBe('Never');
    // Usage: this key's share of the requests of every key of the organization (other tests' keys
    // are used too, and their requests may still be arriving: read both until they agree).
    const orgRequests = async () => (await listKeys()).reduce((sum, k) => sum + k.requestCount, 0);
    let expected = '';
    await waitUntil("the Usage column shows the key's share of the organization's requests", async () => {
      const before = await orgRequests();
      await page.reload();
      await keyRow.waitFor();
      const shown = await text(cell(keyRow, 8));
      const after = await orgRequests();
      expected = percent(3 / after);
      return before === after && shown === expected;
    });
    expect(await text(cell(keyRow, 8))).toBe(expected);
    expect((await getKey(key.id)).requestCount).toBe(3);
    await screenshot(page, 'keys-table');
  }, 90_000);

  it('opens the detail dialog with the usage history and effective limits', async () => {
    const name = unique('Detailed key');
    const { key, secret } = await createKey({ name, limits: { requestsPerMinute: 600 } });
    await untilServed(secret);
    for (let i = 0; i < 2; i++) expect(await callGateway(secret)).toEqual({ status: 200, code: null });
    // The request log is written as the gateways' usage arrives.
    await waitUntil(
      'the API lists the 3 requests',
      async () =>
        (await api<{ data: unknown[] }>('GET', `${org()}/keys/${key.id}/requests`)).data.length === 3,
    );

    const detail = await openDetail(name);
    await screenshot(page, 'keys-detail');

    await detail.getByRole('tab', { name: 'Effective limits' }).click();
    const rpm = detail.getByRole('row', { name: /Requests per minute/ });
    expect(await text(rpm)).toMatch(new RegExp(`600.*key “${name}”`));
    await screenshot(page, 'keys-detail-limits');

    await detail.getByRole('tab', { name: 'Usage history' }).click();
    const history = detail.getByRole('table', { name: /Recent requests/ });
    const used = history.getByRole('row').filter({ hasText: 'demo-gpt' });
    await used.nth(2).waitFor();
    expect(await used.count()).toBe(3);
    expect(await text(history.getByRole('row').nth(1))).toContain('200');
    await screenshot(page, 'keys-detail-usage');
  }, 60_000);

  it('edits the key with the same form, prefilled', async () => {
    const name = unique('Edited key');
    const { key } = await createKey({
      name,
      limits: { requestsPerMinute: 600 },
      metadata: { team: 'qa' },
      mcp: {
        enabled: true,
        mode: 'allow_list',
        servers: ['github'],
        tools: { github: ['search_issues'] },
        resources: { github: ['file:///docs/*'] },
      },
      allowCallsWithoutModel: true,
    });
    const detail = await openDetail(name);
    await detail.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = dialog(page, `Edit “${name}”`);
    await edit.getByLabel('Name').waitFor();
    expect(await edit.getByLabel('Name').inputValue()).toBe(name);
    expect(await edit.getByLabel('Requests per minute').inputValue()).toBe('600');
    expect(await edit.getByLabel('Expiration').inputValue()).toBe('keep');
    await fillChecked(edit.getByLabel('Requests per minute'), '1200');
    await fillChecked(edit.getByLabel('Tokens per minute'), '-5');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.getByText('Must be a number').waitFor();
    await fillChecked(edit.getByLabel('Tokens per minute'), '');
    await edit.getByText('Must be a number').waitFor({ state: 'detached' });
    await edit.getByRole('tab', { name: 'Advanced' }).click();
    expect(await edit.getByLabel('Metadata (JSON)').inputValue()).toContain('"team": "qa"');
    expect(await edit.getByLabel('Allow calls without a model').isChecked()).toBe(true);
    await edit.getByRole('tab', { name: 'MCP' }).click();
    expect(await edit.getByLabel('Resource URI patterns of github').inputValue()).toBe('file:///docs/*');
    await screenshot(page, 'keys-edit');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'hidden' });
    expect(await getKey(key.id)).toMatchObject({
      name,
      limits: { requestsPerMinute: 1200 },
      metadata: { team: 'qa' },
      mcp: {
        mode: 'allow_list',
        tools: { github: ['search_issues'] },
        resources: { github: ['file:///docs/*'] },
      },
      // Not lost by saving other fields.
      allowCallsWithoutModel: true,
    });
    await detail.getByRole('tab', { name: 'Overview' }).click();
    await detail.getByText('Requests per minute: 1,200').waitFor();
  }, 60_000);

  it('rotates: the reveal shows a new key, the old one gets 401 and the new one 200', async () => {
    const name = unique('Rotated key');
    const { secret } = await createKey({ name });
    await untilServed(secret);
    const detail = await openDetail(name);
    await detail.getByRole('button', { name: 'Rotate key' }).click();
    const confirm = dialog(page, 'Rotate API Key');
    await confirm.getByRole('button', { name: 'Rotate key' }).click();
    const reveal = dialog(page, `Key “${name}”`);
    await reveal.getByText('API key rotated! Copy it now').waitFor();
    const rotated = await text(reveal.locator('.secret-block'));
    expect(rotated).toMatch(/^ptcl_/);
    expect(rotated).not.toBe(secret);
    // Same key record, same public prefix.
    expect(rotated.slice(0, 17)).toBe(secret.slice(0, 17));
    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'hidden' });

    await waitUntil('the old secret is refused', async () => (await callGateway(secret)).status === 401);
    expect(await callGateway(secret)).toEqual({ status: 401, code: 'invalid_api_key' });
    await waitUntil('the new secret works', async () => (await callGateway(rotated)).status === 200);
  }, 60_000);

  it('issues an ephemeral token that works at the gateway as the key', async () => {
    const name = unique('Delegating key');
    await createKey({ name });
    const detail = await openDetail(name);
    await detail.getByRole('button', { name: 'Ephemeral token' }).click();
    const ephemeral = dialog(page, `Ephemeral token for “${name}”`);
    await ephemeral.getByLabel('Lifetime').selectOption({ label: '5 minutes' });
    await ephemeral.getByRole('button', { name: 'Create token' }).click();
    await ephemeral.getByText('Ephemeral token created! Copy it now').waitFor();
    const token = await text(ephemeral.locator('.secret-block'));
    expect(token).toMatch(/^ptcl_/);
    const until = await text(ephemeral.getByText(/^Valid until/));
    expect(until).toMatch(/UTC/);
    await screenshot(page, 'keys-ephemeral');
    await ephemeral.getByRole('button', { name: 'Done' }).click();
    await ephemeral.waitFor({ state: 'hidden' });
    await waitUntil('the ephemeral token works', async () => (await callGateway(token)).status === 200);
  }, 60_000);

  it('deactivates (gateway 401 key_inactive) and activates again', async () => {
    const name = unique('Paused key');
    const { key, secret } = await createKey({ name });
    await untilServed(secret);
    const detail = await openDetail(name);
    expect(await text(detail.getByRole('definition').first())).toBe('Active');
    await detail.getByRole('button', { name: 'Deactivate', exact: true }).click();
    await detail.getByRole('button', { name: 'Activate', exact: true }).waitFor();
    expect(await text(detail.getByRole('definition').first())).toBe('Inactive');
    // Actions the API refuses for an inactive key are not offered.
    expect(await detail.getByRole('button', { name: 'Ephemeral token' }).count()).toBe(0);
    await waitUntil('the gateway refuses the inactive key', async () => {
      const result = await callGateway(secret);
      return result.status === 401 && result.code === 'key_inactive';
    });
    expect((await getKey(key.id)).status).toBe('inactive');

    await detail.getByRole('button', { name: 'Activate', exact: true }).click();
    await detail.getByRole('button', { name: 'Deactivate', exact: true }).waitFor();
    expect(await text(detail.getByRole('definition').first())).toBe('Active');
    await waitUntil(
      'the gateway accepts the key again',
      async () => (await callGateway(secret)).status === 200,
    );
    expect((await getKey(key.id)).status).toBe('active');
  }, 60_000);

  it('deletes with the confirmation, from the detail dialog and from the trash icon', async () => {
    const tag = unique('deleted');
    const name = `${tag} main`;
    const spareName = `${tag} spare`;
    const { key, secret } = await createKey({ name });
    const spare = await createKey({ name: spareName });
    await untilServed(secret);
    await openKeys(spareName, tag);
    await row(page, name).waitFor();

    // Trash icon: the same confirmation; Cancel keeps the key.
    await page.getByRole('button', { name: `Delete ${spareName}` }).click();
    const confirmSpare = dialog(page, 'Delete API Key');
    expect(await text(confirmSpare.locator('.modal-description'))).toBe(
      `Are you sure you want to delete '${spareName}'? This action cannot be undone.`,
    );
    await confirmSpare.getByRole('button', { name: 'Cancel' }).click();
    await confirmSpare.waitFor({ state: 'hidden' });
    await api('GET', `${org()}/keys/${spare.key.id}`);

    await page.getByRole('button', { name, exact: true }).click();
    const detail = dialog(page, name);
    await detail.getByRole('button', { name: 'Delete' }).click();
    const confirm = dialog(page, 'Delete API Key');
    expect(await text(confirm.locator('.modal-description'))).toBe(
      `Are you sure you want to delete '${name}'? This action cannot be undone.`,
    );
    await screenshot(page, 'keys-delete-confirm');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await detail.waitFor({ state: 'hidden' });
    await row(page, name).waitFor({ state: 'detached' });
    await expect(api('GET', `${org()}/keys/${key.id}`)).rejects.toThrow(/: 404 /);
    await waitUntil(
      'the gateway refuses the deleted key',
      async () => (await callGateway(secret)).status === 401,
    );

    // From the trash icon, confirmed this time.
    await page.getByRole('button', { name: `Delete ${spareName}` }).click();
    await dialog(page, 'Delete API Key').getByRole('button', { name: 'Delete' }).click();
    await row(page, spareName).waitFor({ state: 'detached' });
    await expect(api('GET', `${org()}/keys/${spare.key.id}`)).rejects.toThrow(/: 404 /);
  }, 60_000);

  it('keeps search, status filter and sort in the URL, across a reload', async () => {
    // Only alpha and beta hold the search term; the three names come before every other key's when
    // sorted by name, descending, so gamma is on the first page once the search is cleared.
    const tag = unique('zz');
    const svc = unique('svc');
    const [alpha, beta, gamma] = [`${tag} alpha ${svc}`, `${tag} beta ${svc}`, `${tag} gamma job`];
    for (const name of [alpha, beta, gamma]) {
      const created = await createKey({ name });
      if (name === beta) await api('POST', `${org()}/keys/${created.key.id}/deactivate`);
    }
    await openKeys(gamma, tag);

    await fillChecked(page.getByLabel('Search'), svc);
    await page.waitForURL(new RegExp(`search=${svc}`));
    await row(page, gamma).waitFor({ state: 'detached' });
    expect(await row(page, alpha).count()).toBe(1);
    expect(await row(page, beta).count()).toBe(1);

    await page.getByLabel('Status').selectOption({ label: 'Inactive' });
    await page.waitForURL(/status=inactive/);
    await row(page, alpha).waitFor({ state: 'detached' });
    expect(await row(page, beta).count()).toBe(1);

    await page.getByLabel('Status').selectOption({ label: 'All' });
    await page.waitForURL((url) => !url.search.includes('status='));
    await row(page, alpha).waitFor();

    const nameHeader = page.getByRole('columnheader', { name: 'Name' });
    expect(await nameHeader.getAttribute('aria-sort')).toBe('none');
    await page.getByRole('button', { name: 'Name', exact: true }).click();
    await page.waitForURL(/sort=name&order=asc|order=asc&sort=name/);
    await expect.poll(() => nameHeader.getAttribute('aria-sort')).toBe('ascending');
    const names = async () =>
      (await page.locator('tbody tr').allTextContents()).map((t) => (t.includes(beta) ? 'beta' : 'alpha'));
    await expect.poll(names).toEqual(['alpha', 'beta']);
    await page.getByRole('button', { name: 'Name', exact: true }).click();
    await page.waitForURL(/order=desc/);
    await expect.poll(() => nameHeader.getAttribute('aria-sort')).toBe('descending');
    await expect.poll(names).toEqual(['beta', 'alpha']);

    await page.reload();
    await row(page, beta).waitFor();
    expect(await page.getByLabel('Search').inputValue()).toBe(svc);
    expect(await page.getByRole('columnheader', { name: 'Name' }).getAttribute('aria-sort')).toBe(
      'descending',
    );
    await expect.poll(names).toEqual(['beta', 'alpha']);

    // Nothing matches: say so and offer to clear the filters.
    await fillChecked(page.getByLabel('Search'), 'no-such-key');
    await page.getByRole('heading', { name: 'No keys match these filters' }).waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).last().click();
    await row(page, gamma).waitFor();
    expect(page.url()).not.toContain('search=');
    await expect.poll(() => page.getByLabel('Search').inputValue()).toBe('');
  }, 90_000);

  it('shows an API 400 under the field that caused it, keeping what was typed', async () => {
    // A member who leaves while the form is open: only the API can know, and it names ownerId.
    const memberName = unique('Leaving Member');
    const email = `${unique('leaving')}@portcullis.test`;
    const keyName = unique('For someone who left');
    const { user } = await addMember(stack, { email, name: memberName, password: 'leaving-password-123' });

    await page.goto(`${stack.url}/keys`);
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Create key' }).first().click();
    const create = dialog(page, 'Create API key');
    const owner = create.getByLabel('Create key for user');
    await owner.locator('option', { hasText: memberName }).waitFor({ state: 'attached' });
    await owner.selectOption({ label: `${memberName} (${email})` });
    expect(await owner.inputValue()).toBe(user.id);
    await fillChecked(create.getByLabel('Name'), keyName);
    await api('DELETE', `${org()}/users/${user.id}`);

    await create.getByRole('button', { name: 'Create key' }).click();
    await create.getByText('is not a member of this organization').waitFor();
    expect(await owner.getAttribute('aria-invalid')).toBe('true');
    expect(await create.getByLabel('Name').inputValue()).toBe(keyName);
    expect((await listKeys()).some((k) => k.name === keyName)).toBe(false);
    await screenshot(page, 'keys-create-api-error');
    await create.getByRole('button', { name: 'Cancel' }).click();
  }, 60_000);

  it('shows a member only their own keys, without "Create key for user"', async () => {
    const email = `${unique('mia.member')}@portcullis.test`;
    const password = 'mia-password-123';
    const memberName = unique('Mia Member');
    const laptop = unique('mia-laptop');
    const ci = unique('mia-ci');
    const adminsKey = unique('admin-only');
    await createKey({ name: adminsKey });
    const { token, user } = await addMember(stack, { email, name: memberName, password });
    const own = await apiAs<CreatedKey>(stack, token, 'POST', `${org()}/keys`, { name: laptop });
    expect(own.key.name).toBe(laptop);

    const member = await signedInPage(browser, stack.url, { email, password });
    try {
      await member.goto(`${stack.url}/keys`);
      await row(member, laptop).waitFor();
      expect(await member.locator('tbody tr').count()).toBe(1);
      expect(await text(cell(row(member, laptop), 1))).toContain(memberName);
      expect(await row(member, adminsKey).count()).toBe(0);

      await member.getByRole('button', { name: 'Create key' }).first().click();
      const create = dialog(member, 'Create API key');
      await create.getByLabel('Name').waitFor();
      expect(await create.getByLabel('Create key for user').count()).toBe(0);
      expect(await create.getByText('Create key for user').count()).toBe(0);
      await fillChecked(create.getByLabel('Name'), ci);
      await create.getByRole('button', { name: 'Create key' }).click();
      await dialog(member, `Key “${ci}”`).getByText('API key created! Copy it now').waitFor();
      await screenshot(member, 'keys-member-reveal');
      await dialog(member, `Key “${ci}”`).getByRole('button', { name: 'Done' }).click();
      await row(member, ci).waitFor();
      expect(await member.locator('tbody tr').count()).toBe(2);
      const created = (await listKeys()).find((k) => k.name === ci);
      expect(created?.ownerId).toBe(user.id);

      // Members manage their own keys: the detail dialog offers the actions.
      await member.getByRole('button', { name: ci, exact: true }).click();
      await dialog(member, ci).getByRole('button', { name: 'Deactivate', exact: true }).click();
      await dialog(member, ci).getByRole('button', { name: 'Activate', exact: true }).waitFor();
      expect((await getKey(created?.id ?? '')).status).toBe('inactive');
      await screenshot(member, 'keys-member');
    } finally {
      await member.context().close();
    }
  }, 90_000);

  it('works on a narrow screen: the table scrolls inside its box', async () => {
    const name = unique('narrow key');
    await createKey({ name });
    await page.setViewportSize({ width: 375, height: 800 });
    await openKeys(name);
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      viewport: document.documentElement.clientWidth,
      wrap: (document.querySelector('.table-wrap') as HTMLElement).scrollWidth,
      wrapBox: (document.querySelector('.table-wrap') as HTMLElement).clientWidth,
    }));
    expect(widths.page).toBeLessThanOrEqual(widths.viewport);
    expect(widths.wrap).toBeGreaterThan(widths.wrapBox);
    const create = await page.getByRole('button', { name: 'Create key' }).first().boundingBox();
    expect((create?.x ?? 0) + (create?.width ?? 0)).toBeLessThanOrEqual(375);
    await screenshot(page, 'keys-narrow');
    // Dialogs fit the screen too: nothing inside them is wider than the dialog.
    const fits = (dialogName: string) =>
      dialog(page, dialogName).evaluate((el) => ({ content: el.scrollWidth, box: el.clientWidth }));
    await page.getByRole('button', { name: 'Create key' }).first().click();
    await dialog(page, 'Create API key').getByLabel('Name').waitFor();
    const createFit = await fits('Create API key');
    expect(createFit.content).toBeLessThanOrEqual(createFit.box);
    await screenshot(page, 'keys-create-narrow');
    await dialog(page, 'Create API key').getByRole('button', { name: 'Cancel' }).click();
    await dialog(page, 'Create API key').waitFor({ state: 'hidden' });
    await page.getByRole('button', { name, exact: true }).click();
    await dialog(page, name).getByRole('tab', { name: 'Overview' }).waitFor();
    const detailFit = await fits(name);
    expect(detailFit.content).toBeLessThanOrEqual(detailFit.box);
    await screenshot(page, 'keys-detail-narrow');
  }, 60_000);
});
