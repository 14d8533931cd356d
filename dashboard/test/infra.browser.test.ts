import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GatewayView } from '@portcullis/shared/gateways';
import type { McpServerView } from '@portcullis/shared/mcp';
import type { ModelView, ProviderCredentialView } from '@portcullis/shared/providers';
import {
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  type WebhookDeliveryView,
  type WebhookView,
} from '@portcullis/shared/webhooks';
import type { Gateway } from '@portcullis/testing/fleet';
import { freePort } from '@portcullis/testing/processes';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addMember,
  FULL_ADMIN,
  type FullStack,
  fillChecked,
  launchBrowser,
  newOrganization,
  openInOrganization,
  overflowing,
  screenshot,
  signedInPage,
  startFullStack,
  unique,
  waitUntil,
} from './stack';

/**
 * Provider credentials, models, MCP servers, gateways and webhooks, driven in headless Chromium against
 * the real stack; every change made through the UI is checked through the REST API. Each test makes the
 * objects it works on through the API (with names no other test uses), so any test can run alone.
 */
let stack: FullStack;
let browser: Browser;
let page: Page;
/** The admin in a second browser, for organizations that hold nothing yet (the main page stays in the first). */
let elsewhere: Page;
const tempDirs: string[] = [];
const VIEWPORT = { width: 1280, height: 800 };

const org = () => `/orgs/${stack.fleet.orgId}`;
const api = <T>(method: string, p: string, body?: unknown) => stack.fleet.api<T>(method, p, body);
const list = async <T>(p: string, orgId = stack.fleet.orgId) =>
  (await api<{ data: T[] }>('GET', `/orgs/${orgId}${p}`)).data;

const dialog = (p: Page = page) => p.getByRole('dialog');
const row = (p: Page, text: string | RegExp): Locator => p.getByRole('row').filter({ hasText: text });
/** A model's row by its slug (other models may name the same upstream model or credential). */
const modelRow = (p: Page, slug: string): Locator =>
  p.getByRole('row').filter({ has: p.locator('td:first-child').getByText(slug, { exact: true }) });

/** A credential of the fake upstream, made through the API. */
const createCredential = (name: string, secret = 'sk-api-created-secret-abcdefghijkl1234') =>
  api<ProviderCredentialView>('POST', `${org()}/provider-credentials`, {
    name,
    provider: 'openai_compatible',
    secret,
    config: { baseUrl: `${stack.fleet.upstream.url}/v1` },
  });

/** A model on the stack's demo-openai credential, made through the API. */
const createModel = async (slug: string, prices = { input: 1, output: 2 }) => {
  const credential = (await list<ProviderCredentialView>('/provider-credentials')).find(
    (c) => c.name === 'demo-openai',
  );
  return api<ModelView>('POST', `${org()}/models`, {
    slug,
    credentialId: credential?.id,
    upstreamModel: 'demo-gpt',
    inputPricePerMTok: prices.input,
    outputPricePerMTok: prices.output,
    enabled: true,
  });
};

beforeAll(async () => {
  stack = await startFullStack();
  browser = await launchBrowser();
  page = await signedInPage(browser, stack.url, FULL_ADMIN, VIEWPORT);
  elsewhere = await signedInPage(browser, stack.url, FULL_ADMIN, VIEWPORT);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

// A test that failed on a narrow screen does not leave the next one there.
beforeEach(() => page.setViewportSize(VIEWPORT));

describe('provider credentials', () => {
  it('lists the credentials with masked secrets and the models using them, never the secrets', async () => {
    const credentials = await list<ProviderCredentialView>('/provider-credentials');
    const demo = credentials.find((c) => c.name === 'demo-openai');
    expect(demo?.secretPreview).toMatch(/^sk-…/);

    await page.goto(`${stack.url}/providers`);
    await page.getByRole('heading', { name: 'Provider credentials', level: 1 }).waitFor();
    const demoRow = row(page, 'demo-openai');
    await demoRow.waitFor();
    expect(await demoRow.textContent()).toContain(demo?.secretPreview);
    expect(await demoRow.textContent()).toContain('OpenAI-compatible');
    expect(await demoRow.getByRole('link', { name: 'demo-gpt' }).getAttribute('href')).toBe(
      '/models?search=demo-gpt',
    );
    const html = await page.content();
    expect(html).not.toContain('sk-demo-upstream-secret-0001');
    expect(html).not.toContain('sk-ant-demo-upstream-0002');
    await screenshot(page, 'infra-providers');
  });

  it('creates a credential, keeps what was typed on a bad submit, and never shows the secret again', async () => {
    const name = unique('ui-openai');
    const secret = 'sk-ui-created-secret-abcdefghijklmnop1234';
    await page.goto(`${stack.url}/providers`);
    await page.getByRole('heading', { name: 'Provider credentials', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add credential' }).first().click();
    await dialog().getByRole('heading', { name: 'Add provider credential' }).waitFor();
    await fillChecked(dialog().getByLabel('Name', { exact: true }), name);
    await dialog().getByLabel('Provider').selectOption({ label: 'OpenAI-compatible' });
    // No secret and no base URL: both are named under their fields, and the name stays.
    await dialog().getByRole('button', { name: 'Add credential' }).click();
    await dialog().getByText('Check the highlighted fields.').waitFor();
    expect(await dialog().locator('.field-error').allTextContents()).toEqual([
      'must not be empty',
      'is required',
    ]);
    expect(await dialog().getByLabel('Name', { exact: true }).inputValue()).toBe(name);
    await screenshot(page, 'infra-providers-create-errors');

    await fillChecked(dialog().getByLabel('Secret'), secret);
    // A URL the SSRF guard refuses comes back from the API under its field.
    await fillChecked(dialog().getByLabel('Base URL'), 'http://10.1.2.3/v1');
    await dialog().getByRole('button', { name: 'Add credential' }).click();
    // The first answer's errors stay on screen until this answer replaces them: wait for the new error
    // itself, then check it is the only one and sits under the Base URL field.
    const refused = dialog().locator('.field-error', { hasText: 'only public addresses are allowed' });
    await refused.waitFor();
    expect(await dialog().locator('.field-error').count()).toBe(1);
    expect(await dialog().getByLabel('Base URL').getAttribute('aria-describedby')).toBe(
      await refused.getAttribute('id'),
    );
    expect(await dialog().getByLabel('Secret').inputValue()).toBe(secret);

    await fillChecked(dialog().getByLabel('Base URL'), `${stack.fleet.upstream.url}/v1`);
    await screenshot(page, 'infra-providers-create');
    await dialog().getByRole('button', { name: 'Add credential' }).click();
    await dialog().waitFor({ state: 'hidden' });
    const created = row(page, name);
    await created.waitFor();
    expect(await created.textContent()).toContain('sk-…1234');
    expect(await page.content()).not.toContain(secret);

    const stored = (await list<ProviderCredentialView>('/provider-credentials')).find((c) => c.name === name);
    expect(stored).toMatchObject({
      provider: 'openai_compatible',
      secretPreview: 'sk-…1234',
      config: { baseUrl: `${stack.fleet.upstream.url}/v1` },
      usedBy: [],
    });
  });

  it('edits a credential: a new secret replaces the old one, a blank one keeps it', async () => {
    const name = unique('ui-openai');
    const renamed = unique('ui-openai');
    await createCredential(name);
    await page.goto(`${stack.url}/providers`);
    await row(page, name).getByText('sk-…1234').waitFor();

    await page.getByRole('button', { name: `Edit ${name}` }).click();
    await dialog()
      .getByRole('heading', { name: `Edit ${name}` })
      .waitFor();
    const secretInput = dialog().getByLabel('Replace secret');
    expect(await secretInput.inputValue()).toBe('');
    expect(await secretInput.getAttribute('type')).toBe('password');
    expect(await dialog().getByLabel('Provider').isEditable()).toBe(false);
    await fillChecked(secretInput, 'sk-ui-replaced-secret-abcdefghijklmn9876');
    await screenshot(page, 'infra-providers-edit');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row(page, name).getByText('sk-…9876').waitFor();

    // A rename with the secret left blank keeps the secret.
    await page.getByRole('button', { name: `Edit ${name}` }).click();
    await dialog()
      .getByRole('heading', { name: `Edit ${name}` })
      .waitFor();
    await fillChecked(dialog().getByLabel('Name', { exact: true }), renamed);
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row(page, renamed).getByText('sk-…9876').waitFor();
    await page.getByRole('button', { name: `Edit ${renamed}` }).click();
    await dialog()
      .getByRole('heading', { name: `Edit ${renamed}` })
      .waitFor();
    await fillChecked(dialog().getByLabel('Name', { exact: true }), name);
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row(page, name).getByText('sk-…9876').waitFor();

    const stored = (await list<ProviderCredentialView>('/provider-credentials')).find((c) => c.name === name);
    expect(stored).toMatchObject({
      secretPreview: 'sk-…9876',
      config: { baseUrl: `${stack.fleet.upstream.url}/v1` },
    });
  });

  it('adds a model on a credential, then deletes the credential after the dependents warning', async () => {
    const name = unique('ui-openai');
    const slug = unique('ui-model');
    const credential = await createCredential(name);

    await page.goto(`${stack.url}/models`);
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add model' }).first().click();
    await fillChecked(dialog().getByLabel('Slug'), slug);
    await dialog()
      .getByLabel('Provider credential')
      .selectOption({ label: `${name} (OpenAI-compatible)` });
    expect(await dialog().getByLabel('Provider credential').inputValue()).toBe(credential.id);
    await fillChecked(dialog().getByLabel('Upstream model'), 'demo-gpt');
    await fillChecked(dialog().getByLabel('Input price per 1M tokens (USD)'), '0.5');
    await fillChecked(dialog().getByLabel('Output price per 1M tokens (USD)'), '1.5');
    await screenshot(page, 'infra-models-create');
    await dialog().getByRole('button', { name: 'Add model' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await modelRow(page, slug).waitFor();

    const model = (await list<ModelView>('/models')).find((m) => m.slug === slug);
    expect(model).toMatchObject({
      credentialId: credential.id,
      upstreamModel: 'demo-gpt',
      inputPricePerMTok: 0.5,
      outputPricePerMTok: 1.5,
      enabled: true,
    });

    await page.goto(`${stack.url}/providers`);
    const credentialRow = row(page, name);
    await credentialRow.getByRole('link', { name: slug }).waitFor();
    await credentialRow.getByRole('button', { name: `Delete ${name}` }).click();
    await dialog().getByText('1 model uses this credential').waitFor();
    expect(await dialog().textContent()).toContain(slug);
    await screenshot(page, 'infra-providers-delete-warning');

    // Without force the API answers 409; the dialog says so and offers to delete anyway.
    const before = (await list<ProviderCredentialView>('/provider-credentials')).map((c) => c.name).sort();
    await dialog().getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog().getByRole('button', { name: 'Delete anyway' }).waitFor();
    expect(await dialog().getByRole('alert').textContent()).toContain('The control plane refused');
    expect((await list<ProviderCredentialView>('/provider-credentials')).map((c) => c.name).sort()).toEqual(
      before,
    );
    await screenshot(page, 'infra-providers-delete-conflict');
    await dialog().getByRole('button', { name: 'Delete anyway' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await credentialRow.waitFor({ state: 'detached' });

    // That credential and its model are gone, and nothing else.
    expect((await list<ProviderCredentialView>('/provider-credentials')).map((c) => c.name).sort()).toEqual(
      before.filter((n) => n !== name),
    );
    expect((await list<ModelView>('/models')).some((m) => m.slug === slug)).toBe(false);
  });
});

describe('models', () => {
  it('toggles a model off and on with its switch', async () => {
    const slug = unique('toggled');
    await createModel(slug);
    await page.goto(`${stack.url}/models`);
    const name = `${slug} enabled`;
    const toggle = page.getByRole('switch', { name });
    await toggle.waitFor();
    expect(await toggle.isChecked()).toBe(true);
    // The save is held back a moment: meanwhile the switch shows what was asked, and cannot be flipped again.
    await page.route(`**/api/v1${org()}/models/*`, async (route) => {
      if (route.request().method() === 'PATCH') await new Promise((resolve) => setTimeout(resolve, 500));
      await route.continue();
    });
    try {
      await toggle.click();
      await page.getByRole('switch', { name, checked: false, disabled: true }).waitFor();
      await page.getByText(`Model ${slug} disabled`).waitFor();
      // Saved: the switch can be used again, and shows the stored value.
      await page.getByRole('switch', { name, checked: false, disabled: false }).waitFor();
      expect((await list<ModelView>('/models')).find((m) => m.slug === slug)?.enabled).toBe(false);
      await screenshot(page, 'infra-models');

      await toggle.click();
      await page.getByRole('switch', { name, checked: true, disabled: true }).waitFor();
      await page.getByText(`Model ${slug} enabled`).waitFor();
      await page.getByRole('switch', { name, checked: true, disabled: false }).waitFor();
      expect((await list<ModelView>('/models')).find((m) => m.slug === slug)?.enabled).toBe(true);
    } finally {
      await page.unrouteAll();
    }
  });

  it('edits a price, showing a bad value under its field without losing it', async () => {
    const slug = unique('priced');
    await createModel(slug, { input: 1, output: 2 });
    await page.goto(`${stack.url}/models`);
    await page.getByRole('button', { name: `Edit ${slug}` }).click();
    await dialog()
      .getByRole('heading', { name: `Edit ${slug}` })
      .waitFor();
    const input = dialog().getByLabel('Input price per 1M tokens (USD)');
    expect(await input.inputValue()).toBe('1');
    await fillChecked(input, '-1');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().getByText('must be at least 0').waitFor();
    expect(await input.inputValue()).toBe('-1');
    await screenshot(page, 'infra-models-edit-error');

    await fillChecked(input, '2.5');
    await fillChecked(dialog().getByLabel('Output price per 1M tokens (USD)'), '7.5');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await modelRow(page, slug).getByText('$2.50').waitFor();
    const model = (await list<ModelView>('/models')).find((m) => m.slug === slug);
    expect(model).toMatchObject({
      inputPricePerMTok: 2.5,
      outputPricePerMTok: 7.5,
      upstreamModel: 'demo-gpt',
    });
  });

  it('keeps the search in the URL', async () => {
    await page.goto(`${stack.url}/models?search=claude`);
    await modelRow(page, 'demo-claude').waitFor();
    expect(await modelRow(page, 'demo-gpt').count()).toBe(0);
    expect(await page.getByLabel('Search models').inputValue()).toBe('claude');
  });

  it('keeps every key typed into the search while the URL follows', async () => {
    await page.goto(`${stack.url}/models`);
    const search = page.getByLabel('Search models');
    await modelRow(page, 'demo-gpt').waitFor();
    // Key by key, as fast as the browser takes them: none may be lost while the URL catches up.
    await search.pressSequentially('demo-cl');
    expect(await search.inputValue()).toBe('demo-cl');
    await page.waitForURL(/[?&]search=demo-cl$/);
    await modelRow(page, 'demo-gpt').waitFor({ state: 'detached' });
    expect(await modelRow(page, 'demo-claude').count()).toBe(1);
    expect(await search.inputValue()).toBe('demo-cl');
  });
});

describe('MCP servers', () => {
  it('shows an organization without servers how to add the first one', async () => {
    await openInOrganization(elsewhere, stack.url, await newOrganization(stack), '/mcp-servers');
    await elsewhere.getByText('No MCP servers yet').waitFor();
    expect(await elsewhere.getByRole('button', { name: 'Add MCP server' }).count()).toBe(2);
    await screenshot(elsewhere, 'infra-mcp-servers-empty');
  });

  it('adds a server with a secret header, refreshes its tools and shows them', async () => {
    const name = unique('tools');
    await page.goto(`${stack.url}/mcp-servers`);
    await page.getByRole('heading', { name: 'MCP servers', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add MCP server' }).first().click();
    await fillChecked(dialog().getByLabel('Name', { exact: true }), name);
    await fillChecked(dialog().getByLabel('URL'), `${stack.fleet.upstream.url}/mcp`);
    await dialog().getByRole('button', { name: 'Add header' }).click();
    await fillChecked(dialog().getByLabel('Header 1 name'), 'Authorization');
    await fillChecked(dialog().getByLabel('Header 1 value'), 'Bearer mcp-secret-value-123');
    await screenshot(page, 'infra-mcp-servers-create');
    await dialog().getByRole('button', { name: 'Add MCP server' }).click();

    // After a create the server's tools open, ready to be read from the server.
    await dialog()
      .getByRole('heading', { name: `Tools of ${name}` })
      .waitFor();
    await dialog().getByText('No tools known yet.').waitFor();
    await dialog().getByRole('button', { name: 'Refresh tools' }).click();
    const tools = dialog().getByRole('list', { name: `Tools of ${name}` });
    await tools.getByText('search_issues').waitFor();
    expect(await tools.textContent()).toContain('create_issue');
    expect(await tools.textContent()).toContain('delete_repo');
    await screenshot(page, 'infra-mcp-tools');
    await dialog().getByRole('button', { name: 'Close' }).first().click();
    await dialog().waitFor({ state: 'hidden' });

    await row(page, name).getByText('3 tools').waitFor();
    const server = (await list<McpServerView>('/mcp-servers')).find((s) => s.name === name);
    expect(server?.tools.map((t) => t.name).sort()).toEqual(['create_issue', 'delete_repo', 'search_issues']);
    expect(server?.headerNames).toEqual(['Authorization']);
    expect(await page.content()).not.toContain('mcp-secret-value-123');
    await screenshot(page, 'infra-mcp-servers');
  });

  it('edits a server without re-entering its header values, which are kept', async () => {
    const name = unique('tools');
    const created = await api<McpServerView>('POST', `${org()}/mcp-servers`, {
      name,
      url: `${stack.fleet.upstream.url}/mcp`,
      headers: { Authorization: 'Bearer mcp-secret-value-123' },
    });
    await page.goto(`${stack.url}/mcp-servers`);
    await page.getByRole('button', { name: `Edit ${name}` }).click();
    await dialog()
      .getByRole('heading', { name: `Edit ${name}` })
      .waitFor();
    const value = dialog().getByLabel('Header 1 value');
    expect(await dialog().getByLabel('Header 1 name').inputValue()).toBe('Authorization');
    expect(await value.inputValue()).toBe('');
    expect(await value.getAttribute('placeholder')).toBe('Leave blank to keep');
    await fillChecked(dialog().getByLabel('Description (optional)'), 'The fake upstream’s tools');
    await screenshot(page, 'infra-mcp-servers-edit');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row(page, name).getByText('The fake upstream’s tools').waitFor();
    const server = (await list<McpServerView>('/mcp-servers')).find((s) => s.name === name);
    expect(server).toMatchObject({
      id: created.id,
      description: 'The fake upstream’s tools',
      headerNames: ['Authorization'],
    });
    // The kept header still works: the server's tools are read with it again.
    const seen = stack.fleet.upstream.requests.length;
    const refreshed = await api<McpServerView>('POST', `${org()}/mcp-servers/${created.id}/refresh-tools`);
    expect(refreshed.tools).toHaveLength(3);
    const calls = stack.fleet.upstream.requests.slice(seen).filter((r) => r.path === '/mcp');
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call.headers.authorization).toBe('Bearer mcp-secret-value-123');
  });

  it("shows the API's error when a server's tools cannot be read", async () => {
    const name = unique('unreachable');
    const port = await freePort();
    await api('POST', `${org()}/mcp-servers`, { name, url: `http://127.0.0.1:${port}/mcp` });
    await page.goto(`${stack.url}/mcp-servers`);
    await row(page, name)
      .getByRole('button', { name: `Tools of ${name}: 0` })
      .click();
    await dialog()
      .getByRole('heading', { name: `Tools of ${name}` })
      .waitFor();
    expect(await dialog().getByRole('alert').count()).toBe(0);
    await dialog().getByRole('button', { name: 'Refresh tools' }).click();
    const alert = dialog().getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Could not read the tools of the MCP server');
    await screenshot(page, 'infra-mcp-tools-error');
    await dialog().getByRole('button', { name: 'Close' }).first().click();
  });
});

describe('gateways', () => {
  it('lists the running gateway online with its snapshot version', async () => {
    await page.goto(`${stack.url}/gateways`);
    const edge = row(page, 'edge-1');
    await edge.getByText('Online').waitFor();
    const view = (await list<GatewayView>('/gateways')).find((g) => g.name === 'edge-1');
    expect(view?.status).toBe('online');
    expect(view?.snapshotVersion).not.toBeNull();
    // The version shown may have moved on by one heartbeat since the REST call: the list refreshes itself.
    await page.waitForFunction(
      ([name, min]) => {
        const cells = Array.from(document.querySelectorAll('tr')).find((tr) =>
          tr.textContent?.includes(name),
        )?.children;
        const version = Number(cells?.[2]?.textContent?.replace(/,/g, ''));
        return Number.isFinite(version) && version >= min;
      },
      ['edge-1', view?.snapshotVersion ?? 0] as const,
    );
    await screenshot(page, 'infra-gateways');
  });

  it('attaches a gateway: the token is shown once and a gateway started with it comes online', async () => {
    const name = unique('edge-ui');
    await page.goto(`${stack.url}/gateways`);
    await row(page, 'edge-1').waitFor();
    await page.getByRole('button', { name: 'Attach a gateway' }).click();
    await fillChecked(dialog().getByLabel('Gateway name'), 'edge-1');
    await dialog().getByRole('button', { name: 'Create token' }).click();
    // A taken name comes back under the field, and stays typed.
    await dialog().getByText('is already used by another gateway').waitFor();
    expect(await dialog().getByLabel('Gateway name').inputValue()).toBe('edge-1');
    await fillChecked(dialog().getByLabel('Gateway name'), name);
    await dialog().getByRole('button', { name: 'Create token' }).click();
    await dialog().getByText('Gateway token created! Copy it now').waitFor();
    const token = (await dialog().locator('.secret-block').textContent())?.trim() ?? '';
    expect(token).toMatch(/^ptcg_[0-9A-Za-z]{43}$/);
    const command = (await dialog().locator('pre').first().textContent()) ?? '';
    expect(command).toContain(`GATEWAY_TOKEN=${token}`);
    expect(command).toContain(`CONTROL_PLANE_URL=${stack.fleet.cpUrl}`);
    expect(command).toContain('pnpm --dir gateway start');
    for (const setting of ['REDIS_URL=', 'PORT=', 'GATEWAY_STATE_DIR=']) expect(command).toContain(setting);
    await screenshot(page, 'infra-gateways-token');
    await dialog().getByRole('tab', { name: 'Docker' }).click();
    expect(await dialog().getByRole('tabpanel').textContent()).toContain('docker run');
    await dialog().getByRole('button', { name: 'Done' }).click();
    await dialog().waitFor({ state: 'hidden' });
    expect(await page.content()).not.toContain(token);
    await row(page, name).getByText('Never seen').waitFor();

    // A real gateway process with the token read from the page.
    const stateDir = mkdtempSync(path.join(tmpdir(), 'portcullis-gw-ui-'));
    tempDirs.push(stateDir);
    const gateway: Gateway = { url: '', stateDir, port: await freePort(), name, token, proc: null };
    stack.fleet.gateways.push(gateway);
    await stack.fleet.startGateway(gateway);

    // No reload: the list refreshes itself, and shows the snapshot version once the gateway reports one.
    await row(page, name).getByText('Online').waitFor({ timeout: 20_000 });
    await row(page, name).getByText('Up to date').waitFor({ timeout: 20_000 });
    const view = (await list<GatewayView>('/gateways')).find((g) => g.name === name);
    expect(view?.status).toBe('online');
    expect(view?.snapshotVersion).toBeGreaterThan(0);
    expect(await row(page, name).getByRole('cell').nth(2).textContent()).toMatch(/^\d[\d,]*$/);
    await screenshot(page, 'infra-gateways-attached');
  });

  it('detaches a gateway after a confirmation', async () => {
    const name = unique('edge-gone');
    await api('POST', `${org()}/gateway-tokens`, { name });
    await page.goto(`${stack.url}/gateways`);
    const before = (await list<GatewayView>('/gateways')).map((g) => g.name).sort();
    expect(before).toContain(name);
    await row(page, name)
      .getByRole('button', { name: `Detach ${name}` })
      .click();
    await dialog().getByText(`Are you sure you want to detach '${name}'?`).waitFor();
    await screenshot(page, 'infra-gateways-detach');
    await dialog().getByRole('button', { name: 'Detach' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row(page, name).waitFor({ state: 'detached' });
    expect((await list<GatewayView>('/gateways')).map((g) => g.name).sort()).toEqual(
      before.filter((n) => n !== name),
    );
  });
});

describe('webhooks', () => {
  let receiver: Server;
  let receiverBase = '';
  const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  /** An endpoint of the receiver that no other webhook of this run uses. */
  const endpoint = () => `${receiverBase}/hooks/${unique('portcullis')}`;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('shows an organization without webhooks how to add the first one', async () => {
    await openInOrganization(elsewhere, stack.url, await newOrganization(stack), '/webhooks');
    await elsewhere.getByText('No webhooks yet').waitFor();
    expect(await elsewhere.getByRole('button', { name: 'Add webhook' }).count()).toBe(2);
    await screenshot(elsewhere, 'infra-webhooks-empty');
  });

  it('creates a webhook and shows its signing secret once', async () => {
    const url = endpoint();
    await page.goto(`${stack.url}/webhooks`);
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add webhook' }).first().click();
    // No event at all is refused by the API, under the events.
    await fillChecked(dialog().getByLabel('Endpoint URL'), url);
    const boxes = dialog().getByRole('group', { name: 'Events' }).getByRole('checkbox');
    await boxes.first().waitFor();
    for (const box of await boxes.all()) await box.uncheck();
    expect(await dialog().getByRole('checkbox', { checked: true }).count()).toBe(0);
    await dialog().getByRole('button', { name: 'Add webhook' }).click();
    await dialog().getByText('must name at least one event type').waitFor();
    expect(await dialog().getByLabel('Endpoint URL').inputValue()).toBe(url);
    await dialog()
      .getByRole('checkbox', { name: /budget\.threshold/ })
      .check();
    await dialog()
      .getByRole('checkbox', { name: /webhook\.test/ })
      .check();
    await screenshot(page, 'infra-webhooks-create');
    await dialog().getByRole('button', { name: 'Add webhook' }).click();

    await dialog().getByText('Webhook created! Copy its signing secret now').waitFor();
    const secret = (await dialog().locator('.secret-block').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^whsec_/);
    expect(await dialog().textContent()).toContain('verifyWebhookSignature');
    await screenshot(page, 'infra-webhooks-secret');
    await dialog().getByRole('button', { name: 'Done' }).click();
    await dialog().waitFor({ state: 'hidden' });
    expect(await page.content()).not.toContain(secret);

    const hook = row(page, url);
    await hook.getByText('None yet').waitFor();
    expect(await hook.textContent()).toContain(`whsec_…${secret.slice(-4)}`);
    const stored = (await list<WebhookView>('/webhooks')).find((w) => w.url === url);
    expect(stored).toMatchObject({ url, events: ['budget.threshold', 'webhook.test'] });
  });

  it('sends a signed test delivery and lists it as succeeded', async () => {
    const url = endpoint();
    const { webhook, secret } = await api<{ webhook: WebhookView; secret: string }>(
      'POST',
      `${org()}/webhooks`,
      { url, events: ['budget.threshold', 'webhook.test'] },
    );
    const path = new URL(url).pathname;
    await page.goto(`${stack.url}/webhooks`);
    await row(page, url).getByText('None yet').waitFor();
    await page.getByRole('button', { name: `Send test to ${url}` }).click();
    await page.getByText('Test delivery queued').waitFor();
    await waitUntil('the webhook receives a delivery', async () => received.some((r) => r.path === path));
    const delivery = received.find((r) => r.path === path);
    const verified = verifyWebhookSignature(
      secret,
      delivery?.headers[WEBHOOK_SIGNATURE_HEADER] as string,
      delivery?.body ?? '',
      Math.floor(Date.now() / 1000),
    );
    expect(verified.ok).toBe(true);
    expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({ type: 'webhook.test' });

    await row(page, url).getByText('Succeeded').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: `Deliveries to ${url}` }).click();
    const deliveryRow = dialog().getByRole('row').filter({ hasText: 'webhook.test' });
    await deliveryRow.getByText('Succeeded').waitFor();
    expect(await deliveryRow.textContent()).toContain('200');
    await screenshot(page, 'infra-webhooks-deliveries');
    await dialog().getByRole('button', { name: 'Close' }).first().click();

    const deliveries = await list<WebhookDeliveryView>(`/webhooks/${webhook.id}/deliveries`);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ type: 'webhook.test', status: 'succeeded', lastStatusCode: 200 });
    await screenshot(page, 'infra-webhooks');
  });

  it('deletes a webhook after a confirmation', async () => {
    // In an organization of its own, so that deleting its one webhook leaves the list empty.
    const orgId = await newOrganization(stack);
    const url = endpoint();
    await api('POST', `/orgs/${orgId}/webhooks`, { url, events: ['webhook.test'] });
    await openInOrganization(elsewhere, stack.url, orgId, '/webhooks');
    await row(elsewhere, url).waitFor();
    await elsewhere.getByRole('button', { name: `Delete webhook ${url}` }).click();
    await dialog(elsewhere).getByRole('button', { name: 'Delete' }).click();
    await dialog(elsewhere).waitFor({ state: 'hidden' });
    await elsewhere.getByText('No webhooks yet').waitFor();
    expect(await list<WebhookView>('/webhooks', orgId)).toEqual([]);
  });
});

describe('a member', () => {
  let member: Page;
  let memberId = '';

  beforeAll(async () => {
    const email = 'infra-member@portcullis.test';
    const password = 'infra-member-password-1';
    memberId = (await addMember(stack, { email, name: 'Infra Member', password })).user.id;
    member = await signedInPage(browser, stack.url, { email, password }, VIEWPORT);
  });

  afterAll(async () => {
    await member?.context().close();
  });

  it('sees the models granted to it, read-only', async () => {
    // Without a grant a member may use no model: the page says whom to ask.
    const grants = await api<{ data: { model: string }[] }>('GET', `${org()}/users/${memberId}/grants`);
    for (const { model } of grants.data) await api('DELETE', `${org()}/users/${memberId}/grants/${model}`);
    await member.goto(`${stack.url}/models`);
    await member.getByText('No models available to you').waitFor();
    await screenshot(member, 'infra-models-member-empty');
    await api('POST', `${org()}/users/${memberId}/grants`, { model: 'demo-gpt' });
    await member.reload();
    await modelRow(member, 'demo-gpt').waitFor();
    expect(await modelRow(member, 'demo-claude').count()).toBe(0);
    expect(await member.getByRole('button', { name: 'Add model' }).count()).toBe(0);
    expect(await member.getByRole('button', { name: 'Edit demo-gpt' }).count()).toBe(0);
    expect(await member.getByRole('switch').count()).toBe(0);
    await screenshot(member, 'infra-models-member');
  });

  it('sees MCP servers and their tools read-only', async () => {
    const name = unique('tools');
    await api('POST', `${org()}/mcp-servers`, {
      name,
      url: `${stack.fleet.upstream.url}/mcp`,
      tools: [{ name: 'search_issues' }, { name: 'create_issue' }, { name: 'delete_repo' }],
    });
    await member.goto(`${stack.url}/mcp-servers`);
    await row(member, name).waitFor();
    expect(await member.getByRole('button', { name: 'Add MCP server' }).count()).toBe(0);
    expect(await member.getByRole('button', { name: `Edit ${name}` }).count()).toBe(0);
    expect(await member.getByRole('button', { name: `Delete ${name}` }).count()).toBe(0);
    await member.getByRole('button', { name: `Tools of ${name}: 3` }).click();
    await member.getByRole('dialog').getByText('search_issues').waitFor();
    expect(await member.getByRole('dialog').getByRole('button', { name: 'Refresh tools' }).count()).toBe(0);
    await screenshot(member, 'infra-mcp-servers-member');
  });

  it('is told that provider credentials, gateways and webhooks are for admins', async () => {
    for (const href of ['/providers', '/gateways', '/webhooks']) {
      await member.goto(`${stack.url}${href}`);
      await member.getByRole('heading', { name: 'Admins only' }).waitFor();
    }
    expect(
      await member
        .getByRole('navigation', { name: 'Console' })
        .getByRole('link', { name: 'Gateways' })
        .count(),
    ).toBe(0);
  });
});

describe('on a narrow screen (375 px)', () => {
  it('keeps each page within the viewport, tables scrolling inside their box', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    for (const [href, action] of [
      ['/providers', 'Add credential'],
      ['/models', 'Add model'],
      ['/mcp-servers', 'Add MCP server'],
      ['/gateways', 'Attach a gateway'],
      ['/webhooks', 'Add webhook'],
    ] as const) {
      await page.goto(`${stack.url}${href}`);
      const button = page.getByRole('button', { name: action }).first();
      await button.waitFor();
      await page.waitForFunction(() => document.querySelectorAll('[aria-busy="true"]').length === 0);
      const box = await button.boundingBox();
      expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(375);
      expect(await overflowing(page)).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      await screenshot(page, `infra${href.replace('/', '-')}-narrow`);
    }
    await page.getByRole('button', { name: 'Add webhook' }).first().click();
    await dialog().getByLabel('Endpoint URL').waitFor();
    await screenshot(page, 'infra-webhooks-create-narrow');
    await dialog().getByRole('button', { name: 'Cancel' }).click();
  });
});
