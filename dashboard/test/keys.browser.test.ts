import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  apiAs,
  callGateway as callGatewayAs,
  FULL_ADMIN,
  type FullStack,
  launchBrowser,
  screenshot,
  signedInPage,
  signIn,
  startFullStack,
  waitUntil,
} from './stack';

/**
 * The API keys page in a real browser against the real stack: create a key through the modal, read
 * its one-time secret from the page, call a gateway with it through the `openai` client, and watch the
 * table and the detail dialog follow; rotate, deactivate, activate, ephemeral token and delete, each
 * checked at the gateway or through the REST API. Then validation, filters and sort in the URL, an
 * API 400 under its field, what a member sees, and the narrow screen.
 */
let stack: FullStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];

interface KeyView {
  id: string;
  name: string;
  ownerId: string;
  status: string;
  expiresAt: string | null;
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

const org = () => `/orgs/${stack.fleet.orgId}`;
const api = <T>(method: string, path: string, body?: unknown) => stack.fleet.api<T>(method, path, body);
const listKeys = async (): Promise<KeyView[]> =>
  (await api<{ data: KeyView[] }>('GET', `${org()}/keys?limit=200`)).data;

/** Calls the gateway's chat completions with `apiKey`; the status and error code it answered with. */
const callGateway = async (apiKey: string): Promise<{ status: number; code: string | null }> => {
  const { status, code } = await callGatewayAs(stack, apiKey);
  return { status, code };
};

const dialog = (p: Page, name: string) => p.getByRole('dialog', { name, exact: true });
const row = (p: Page, name: string) =>
  p.getByRole('row').filter({ has: p.getByRole('button', { name, exact: true }) });
/** Cells in the table's column order: Name, Owner, Key, Status, Expires, Last used, Created, Requests, Usage. */
const cell = (r: Locator, index: number) => r.getByRole('cell').nth(index);
const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();

beforeAll(async () => {
  stack = await startFullStack();
  // An MCP server with a tool catalog, so the MCP tab has something to pick from.
  await api('POST', `${org()}/mcp-servers`, {
    name: 'github',
    url: 'https://mcp.example.com/github',
    tools: [{ name: 'search_issues' }, { name: 'create_issue' }, { name: 'list_repos' }],
  });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
  page = await context.newPage();
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  await signIn(page, stack.url, FULL_ADMIN.email, FULL_ADMIN.password);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('API keys in a real browser', () => {
  let secret = '';
  let rotated = '';

  it('creates a key through the modal, checking fields as they are typed, and reveals the secret once', async () => {
    await page.goto(`${stack.url}/keys`);
    await page.getByRole('heading', { name: 'No API keys yet' }).waitFor();
    await screenshot(page, 'keys-empty');

    await page.getByRole('button', { name: 'Create key' }).first().click();
    const create = dialog(page, 'Create API key');
    await create.waitFor();
    await screenshot(page, 'keys-create-basic');

    // Empty name: the error is under Name, and nothing is sent.
    await create.getByRole('button', { name: 'Create key' }).click();
    await create.getByText('Must not be empty').waitFor();
    expect(await create.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    expect(await listKeys()).toHaveLength(0);

    // Basic: name, 30 days, a requests/min limit; budget details appear only with an amount.
    await create.getByLabel('Name').fill('CI key');
    await create.getByLabel('Expiration').selectOption({ label: '30 days' });
    await create.getByLabel('Requests per minute').fill('600');
    expect(await create.getByLabel('Budget period').count()).toBe(0);
    await create.getByLabel('Budget (USD)').fill('25');
    await create.getByLabel('Budget period').waitFor();
    await create.getByLabel('Budget (USD)').fill('');
    expect(await create.getByLabel('Budget period').count()).toBe(0);
    // Admins may create a key for someone else.
    expect(await create.getByLabel('Create key for user').count()).toBe(1);

    // Advanced: metadata is checked as it is typed, and the tab is marked while it is wrong.
    await create.getByRole('tab', { name: 'Advanced' }).click();
    const metadata = create.getByLabel('Metadata (JSON)');
    await metadata.fill('{"team": ');
    await create.getByText(/^Not valid JSON/).waitFor();
    expect(await metadata.getAttribute('aria-invalid')).toBe('true');
    expect(await create.getByRole('tab', { name: 'Advanced (has errors)' }).count()).toBe(1);
    await create.getByLabel('IP allowlist').fill('10.0.0.1/8');
    await create.getByText(/^Line 1: /).waitFor();
    await screenshot(page, 'keys-create-advanced-errors');
    await create.getByLabel('IP allowlist').fill('10.0.0.0/8\n127.0.0.1');
    await metadata.fill('{"team": "qa"}');
    await expect.poll(() => create.getByText(/^Not valid JSON/).count()).toBe(0);
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
    await create.getByLabel('Search tools of github').fill('search');
    expect(await create.getByLabel('create_issue').count()).toBe(0);
    await create.getByLabel('search_issues').check();
    // Resources follow the tools (none, as only some tools are allowed) unless listed.
    await create.getByLabel('No resources (as the tools: only some are allowed)').waitFor();
    await create.getByLabel('Only these resources').check();
    await create.getByLabel('Resource URI patterns of github').fill('file:///docs/*\n\nnot a uri');
    await screenshot(page, 'keys-create-mcp');

    await create.getByRole('button', { name: 'Create key' }).click();
    await create.getByText('"not a uri" must be a URI', { exact: false }).waitFor();
    await create.getByLabel('Resource URI patterns of github').fill('file:///docs/*\n\n');
    await create.getByRole('button', { name: 'Create key' }).click();
    const reveal = dialog(page, 'Key “CI key”');
    await reveal.getByText('API key created! Copy it now').waitFor();
    await reveal.getByText('This key will not be shown again. Make sure to save it securely.').waitFor();
    secret = await text(reveal.locator('.secret-block'));
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
    await expect.poll(() => reveal.getByText('Copied!').count(), { timeout: 4000 }).toBe(0);
    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'hidden' });
    // Closed means forgotten: the secret is nowhere on the page, in the URL or in storage.
    expect(await page.content()).not.toContain(secret);
    expect(page.url()).not.toContain(secret);
    const stored = await page.evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    );
    expect(stored).not.toContain(secret);

    const [key] = await listKeys();
    expect(key).toMatchObject({
      name: 'CI key',
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

  it('shows Requests and Last used change after calls through the gateway', async () => {
    const ciRow = row(page, 'CI key');
    await ciRow.waitFor();
    expect(await text(cell(ciRow, 5))).toBe('Never');
    expect(await text(cell(ciRow, 7))).toBe('0');
    expect(await text(cell(ciRow, 2))).toMatch(/^ptcl_.{3}…/);

    await waitUntil(
      'the gateway accepts the new key',
      async () => (await callGateway(secret)).status === 200,
    );
    for (let i = 0; i < 2; i++) expect(await callGateway(secret)).toEqual({ status: 200, code: null });

    await waitUntil('the table shows 3 requests', async () => {
      await page.reload();
      await ciRow.waitFor();
      return (await text(cell(ciRow, 7))) === '3';
    });
    expect(await text(cell(ciRow, 5))).not.toBe('Never');
    expect(await text(cell(ciRow, 8))).toBe('100%');
    await screenshot(page, 'keys-table');
  }, 90_000);

  it('opens the detail dialog with the usage history and effective limits', async () => {
    await page.getByRole('button', { name: 'CI key', exact: true }).click();
    const detail = dialog(page, 'CI key');
    await detail.getByRole('tab', { name: 'Overview' }).waitFor();
    await screenshot(page, 'keys-detail');

    await detail.getByRole('tab', { name: 'Effective limits' }).click();
    const rpm = detail.getByRole('row', { name: /Requests per minute/ });
    expect(await text(rpm)).toMatch(/600.*key “CI key”/);
    await screenshot(page, 'keys-detail-limits');

    await detail.getByRole('tab', { name: 'Usage history' }).click();
    const history = detail.getByRole('table', { name: /Recent requests/ });
    await history.waitFor();
    expect(await history.getByRole('row').filter({ hasText: 'demo-gpt' }).count()).toBe(3);
    expect(await text(history.getByRole('row').nth(1))).toContain('200');
    await screenshot(page, 'keys-detail-usage');
  }, 60_000);

  it('edits the key with the same form, prefilled', async () => {
    const detail = dialog(page, 'CI key');
    await detail.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = dialog(page, 'Edit “CI key”');
    expect(await edit.getByLabel('Name').inputValue()).toBe('CI key');
    expect(await edit.getByLabel('Requests per minute').inputValue()).toBe('600');
    expect(await edit.getByLabel('Expiration').inputValue()).toBe('keep');
    await edit.getByLabel('Requests per minute').fill('1200');
    await edit.getByLabel('Tokens per minute').fill('-5');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.getByText('Must be a number').waitFor();
    await edit.getByLabel('Tokens per minute').fill('');
    await edit.getByRole('tab', { name: 'Advanced' }).click();
    expect(await edit.getByLabel('Metadata (JSON)').inputValue()).toContain('"team": "qa"');
    expect(await edit.getByLabel('Allow calls without a model').isChecked()).toBe(true);
    await edit.getByRole('tab', { name: 'MCP' }).click();
    expect(await edit.getByLabel('Resource URI patterns of github').inputValue()).toBe('file:///docs/*');
    await screenshot(page, 'keys-edit');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'hidden' });
    const [key] = await listKeys();
    expect(key).toMatchObject({
      name: 'CI key',
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
    const detail = dialog(page, 'CI key');
    await detail.getByRole('button', { name: 'Rotate key' }).click();
    const confirm = dialog(page, 'Rotate API Key');
    await confirm.getByRole('button', { name: 'Rotate key' }).click();
    const reveal = dialog(page, 'Key “CI key”');
    await reveal.getByText('API key rotated! Copy it now').waitFor();
    rotated = await text(reveal.locator('.secret-block'));
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
    const detail = dialog(page, 'CI key');
    await detail.getByRole('button', { name: 'Ephemeral token' }).click();
    const ephemeral = dialog(page, 'Ephemeral token for “CI key”');
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
    const detail = dialog(page, 'CI key');
    await detail.getByRole('tab', { name: 'Overview' }).click();
    await detail.getByRole('button', { name: 'Deactivate', exact: true }).click();
    await detail.getByRole('button', { name: 'Activate', exact: true }).waitFor();
    expect(await text(detail.getByRole('definition').first())).toBe('Inactive');
    // Actions the API refuses for an inactive key are not offered.
    expect(await detail.getByRole('button', { name: 'Ephemeral token' }).count()).toBe(0);
    await waitUntil('the gateway refuses the inactive key', async () => {
      const result = await callGateway(rotated);
      return result.status === 401 && result.code === 'key_inactive';
    });
    expect((await listKeys())[0]?.status).toBe('inactive');

    await detail.getByRole('button', { name: 'Activate', exact: true }).click();
    await detail.getByRole('button', { name: 'Deactivate', exact: true }).waitFor();
    await waitUntil(
      'the gateway accepts the key again',
      async () => (await callGateway(rotated)).status === 200,
    );
  }, 60_000);

  it('deletes with the confirmation, from the detail dialog and from the trash icon', async () => {
    const spare = await api<{ key: { id: string } }>('POST', `${org()}/keys`, { name: 'Spare key' });
    await page.reload();
    await row(page, 'Spare key').waitFor();

    // Trash icon: the same confirmation; Cancel keeps the key.
    await page.getByRole('button', { name: 'Delete Spare key' }).click();
    const confirmSpare = dialog(page, 'Delete API Key');
    expect(await text(confirmSpare.locator('.modal-description'))).toBe(
      "Are you sure you want to delete 'Spare key'? This action cannot be undone.",
    );
    await confirmSpare.getByRole('button', { name: 'Cancel' }).click();
    await confirmSpare.waitFor({ state: 'hidden' });
    await api('GET', `${org()}/keys/${spare.key.id}`);

    const keyId = (await listKeys()).find((k) => k.name === 'CI key')?.id ?? '';
    await page.getByRole('button', { name: 'CI key', exact: true }).click();
    const detail = dialog(page, 'CI key');
    await detail.getByRole('button', { name: 'Delete' }).click();
    const confirm = dialog(page, 'Delete API Key');
    expect(await text(confirm.locator('.modal-description'))).toBe(
      "Are you sure you want to delete 'CI key'? This action cannot be undone.",
    );
    await screenshot(page, 'keys-delete-confirm');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await detail.waitFor({ state: 'hidden' });
    await row(page, 'CI key').waitFor({ state: 'detached' });
    await expect(api('GET', `${org()}/keys/${keyId}`)).rejects.toThrow(/: 404 /);
    await waitUntil(
      'the gateway refuses the deleted key',
      async () => (await callGateway(rotated)).status === 401,
    );

    // From the trash icon, confirmed this time.
    await page.getByRole('button', { name: 'Delete Spare key' }).click();
    await dialog(page, 'Delete API Key').getByRole('button', { name: 'Delete' }).click();
    await row(page, 'Spare key').waitFor({ state: 'detached' });
    await expect(api('GET', `${org()}/keys/${spare.key.id}`)).rejects.toThrow(/: 404 /);
  }, 60_000);

  it('keeps search, status filter and sort in the URL, across a reload', async () => {
    for (const name of ['alpha-svc', 'beta-svc', 'gamma-job']) {
      const created = await api<{ key: { id: string } }>('POST', `${org()}/keys`, { name });
      if (name === 'beta-svc') await api('POST', `${org()}/keys/${created.key.id}/deactivate`);
    }
    await page.goto(`${stack.url}/keys`);
    await row(page, 'gamma-job').waitFor();

    await page.getByLabel('Search').fill('svc');
    await page.waitForURL(/search=svc/);
    await row(page, 'gamma-job').waitFor({ state: 'detached' });
    expect(await row(page, 'alpha-svc').count()).toBe(1);

    await page.getByLabel('Status').selectOption({ label: 'Inactive' });
    await page.waitForURL(/status=inactive/);
    await row(page, 'alpha-svc').waitFor({ state: 'detached' });
    expect(await row(page, 'beta-svc').count()).toBe(1);

    await page.getByLabel('Status').selectOption({ label: 'All' });
    await page.waitForURL((url) => !url.search.includes('status='));
    await row(page, 'alpha-svc').waitFor();

    const nameHeader = page.getByRole('columnheader', { name: 'Name' });
    expect(await nameHeader.getAttribute('aria-sort')).toBe('none');
    await page.getByRole('button', { name: 'Name', exact: true }).click();
    await page.waitForURL(/sort=name&order=asc|order=asc&sort=name/);
    expect(await nameHeader.getAttribute('aria-sort')).toBe('ascending');
    await page.getByRole('button', { name: 'Name', exact: true }).click();
    await page.waitForURL(/order=desc/);
    expect(await nameHeader.getAttribute('aria-sort')).toBe('descending');
    const names = async () =>
      (await page.locator('tbody tr').allTextContents()).map((t) => (t.includes('beta') ? 'beta' : 'alpha'));
    await expect.poll(names).toEqual(['beta', 'alpha']);

    await page.reload();
    await row(page, 'beta-svc').waitFor();
    expect(await page.getByLabel('Search').inputValue()).toBe('svc');
    expect(await page.getByRole('columnheader', { name: 'Name' }).getAttribute('aria-sort')).toBe(
      'descending',
    );
    await expect.poll(names).toEqual(['beta', 'alpha']);

    // Nothing matches: say so and offer to clear the filters.
    await page.getByLabel('Search').fill('no-such-key');
    await page.getByRole('heading', { name: 'No keys match these filters' }).waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).last().click();
    await row(page, 'gamma-job').waitFor();
    expect(page.url()).not.toContain('search=');
    expect(await page.getByLabel('Search').inputValue()).toBe('');
  }, 90_000);

  it('shows an API 400 under the field that caused it, keeping what was typed', async () => {
    // A member who leaves while the form is open: only the API can know, and it names ownerId.
    const { user } = await addMember(stack, {
      email: 'leaving@portcullis.test',
      name: 'Leaving Member',
      password: 'leaving-password-123',
    });

    await page.goto(`${stack.url}/keys`);
    await page.getByRole('button', { name: 'Create key' }).first().click();
    const create = dialog(page, 'Create API key');
    const owner = create.getByLabel('Create key for user');
    await owner.locator('option', { hasText: 'Leaving Member' }).waitFor({ state: 'attached' });
    await owner.selectOption({ label: 'Leaving Member (leaving@portcullis.test)' });
    await create.getByLabel('Name').fill('For someone who left');
    await api('DELETE', `${org()}/users/${user.id}`);

    await create.getByRole('button', { name: 'Create key' }).click();
    await create.getByText('is not a member of this organization').waitFor();
    expect(await owner.getAttribute('aria-invalid')).toBe('true');
    expect(await create.getByLabel('Name').inputValue()).toBe('For someone who left');
    expect((await listKeys()).some((k) => k.name === 'For someone who left')).toBe(false);
    await screenshot(page, 'keys-create-api-error');
    await create.getByRole('button', { name: 'Cancel' }).click();
  }, 60_000);

  it('shows a member only their own keys, without "Create key for user"', async () => {
    const email = 'mia.member@portcullis.test';
    const password = 'mia-password-123';
    const { token, user } = await addMember(stack, { email, name: 'Mia Member', password });
    const own = await apiAs<{ key: { name: string } }>(stack, token, 'POST', `${org()}/keys`, {
      name: 'mia-laptop',
    });
    expect(own.key.name).toBe('mia-laptop');

    const member = await signedInPage(browser, stack.url, { email, password });
    try {
      await member.goto(`${stack.url}/keys`);
      await row(member, 'mia-laptop').waitFor();
      expect(await member.locator('tbody tr').count()).toBe(1);
      expect(await text(cell(row(member, 'mia-laptop'), 1))).toContain('Mia Member');
      expect(await row(member, 'alpha-svc').count()).toBe(0);

      await member.getByRole('button', { name: 'Create key' }).first().click();
      const create = dialog(member, 'Create API key');
      await create.getByLabel('Name').waitFor();
      expect(await create.getByLabel('Create key for user').count()).toBe(0);
      expect(await create.getByText('Create key for user').count()).toBe(0);
      await create.getByLabel('Name').fill('mia-ci');
      await create.getByRole('button', { name: 'Create key' }).click();
      await dialog(member, 'Key “mia-ci”').getByText('API key created! Copy it now').waitFor();
      await screenshot(member, 'keys-member-reveal');
      await dialog(member, 'Key “mia-ci”').getByRole('button', { name: 'Done' }).click();
      await row(member, 'mia-ci').waitFor();
      expect(await member.locator('tbody tr').count()).toBe(2);
      const created = (await listKeys()).find((k) => k.name === 'mia-ci');
      expect(created?.ownerId).toBe(user.id);

      // Members manage their own keys: the detail dialog offers the actions.
      await member.getByRole('button', { name: 'mia-ci', exact: true }).click();
      await dialog(member, 'mia-ci').getByRole('button', { name: 'Deactivate', exact: true }).click();
      await waitUntil('the member deactivated their key', async () =>
        (await listKeys()).some((k) => k.name === 'mia-ci' && k.status === 'inactive'),
      );
      await screenshot(member, 'keys-member');
    } finally {
      await member.context().close();
    }
  }, 90_000);

  it('works on a narrow screen: the table scrolls inside its box', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${stack.url}/keys`);
    await row(page, 'gamma-job').waitFor();
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
    const fits = (name: string) =>
      dialog(page, name).evaluate((el) => ({ content: el.scrollWidth, box: el.clientWidth }));
    await page.getByRole('button', { name: 'Create key' }).first().click();
    await dialog(page, 'Create API key').getByLabel('Name').waitFor();
    const createFit = await fits('Create API key');
    expect(createFit.content).toBeLessThanOrEqual(createFit.box);
    await screenshot(page, 'keys-create-narrow');
    await dialog(page, 'Create API key').getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'gamma-job', exact: true }).click();
    await dialog(page, 'gamma-job').getByRole('tab', { name: 'Overview' }).waitFor();
    const detailFit = await fits('gamma-job');
    expect(detailFit.content).toBeLessThanOrEqual(detailFit.box);
    await screenshot(page, 'keys-detail-narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
