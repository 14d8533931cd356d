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
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../control-plane/test/integration/processes';
import type { Gateway } from '../../gateway/test/e2e/fleet';
import {
  addMember,
  FULL_ADMIN,
  type FullStack,
  launchBrowser,
  overflowing,
  screenshot,
  signedInPage,
  startFullStack,
  waitUntil,
} from './stack';

/**
 * Provider credentials, models, MCP servers, gateways and webhooks, driven in headless Chromium against
 * the real stack; every change made through the UI is checked through the REST API.
 */
let stack: FullStack;
let browser: Browser;
let page: Page;
const tempDirs: string[] = [];

const org = () => `/orgs/${stack.fleet.orgId}`;
const api = <T>(method: string, p: string, body?: unknown) => stack.fleet.api<T>(method, p, body);
const list = async <T>(p: string) => (await api<{ data: T[] }>('GET', `${org()}${p}`)).data;

const dialog = () => page.getByRole('dialog');
const row = (p: Page, text: string | RegExp): Locator => p.getByRole('row').filter({ hasText: text });

beforeAll(async () => {
  stack = await startFullStack();
  browser = await launchBrowser();
  page = await signedInPage(browser, stack.url, FULL_ADMIN, { width: 1280, height: 800 });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

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
    const secret = 'sk-ui-created-secret-abcdefghijklmnop1234';
    await page.getByRole('button', { name: 'Add credential' }).first().click();
    await dialog().getByLabel('Name', { exact: true }).fill('ui-openai');
    await dialog().getByLabel('Provider').selectOption({ label: 'OpenAI-compatible' });
    // No secret and no base URL: both are named under their fields, and the name stays.
    await dialog().getByRole('button', { name: 'Add credential' }).click();
    await dialog().getByText('Check the highlighted fields.').waitFor();
    expect(await dialog().locator('.field-error').allTextContents()).toEqual([
      'must not be empty',
      'is required',
    ]);
    expect(await dialog().getByLabel('Name', { exact: true }).inputValue()).toBe('ui-openai');
    await screenshot(page, 'infra-providers-create-errors');

    await dialog().getByLabel('Secret').fill(secret);
    // A URL the SSRF guard refuses comes back from the API under its field.
    await dialog().getByLabel('Base URL').fill('http://10.1.2.3/v1');
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

    await dialog().getByLabel('Base URL').fill(`${stack.fleet.upstream.url}/v1`);
    await screenshot(page, 'infra-providers-create');
    await dialog().getByRole('button', { name: 'Add credential' }).click();
    await dialog().waitFor({ state: 'hidden' });
    const created = row(page, 'ui-openai');
    await created.waitFor();
    expect(await created.textContent()).toContain('sk-…1234');
    expect(await page.content()).not.toContain(secret);

    const stored = (await list<ProviderCredentialView>('/provider-credentials')).find(
      (c) => c.name === 'ui-openai',
    );
    expect(stored).toMatchObject({
      provider: 'openai_compatible',
      secretPreview: 'sk-…1234',
      config: { baseUrl: `${stack.fleet.upstream.url}/v1` },
      usedBy: [],
    });
  });

  it('edits a credential: a new secret replaces the old one, a blank one keeps it', async () => {
    await page.getByRole('button', { name: 'Edit ui-openai' }).click();
    const secretInput = dialog().getByLabel('Replace secret');
    expect(await secretInput.inputValue()).toBe('');
    expect(await secretInput.getAttribute('type')).toBe('password');
    expect(await dialog().getByLabel('Provider').isEditable()).toBe(false);
    await secretInput.fill('sk-ui-replaced-secret-abcdefghijklmn9876');
    await screenshot(page, 'infra-providers-edit');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row(page, 'ui-openai').getByText('sk-…9876').waitFor();

    // A rename with the secret left blank keeps the secret.
    await page.getByRole('button', { name: 'Edit ui-openai' }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('ui-openai-2');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row(page, 'ui-openai-2').getByText('sk-…9876').waitFor();
    await page.getByRole('button', { name: 'Edit ui-openai-2' }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('ui-openai');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'hidden' });

    const stored = (await list<ProviderCredentialView>('/provider-credentials')).find(
      (c) => c.name === 'ui-openai',
    );
    expect(stored).toMatchObject({
      secretPreview: 'sk-…9876',
      config: { baseUrl: `${stack.fleet.upstream.url}/v1` },
    });
  });

  it('adds a model on the new credential, then deletes the credential after the dependents warning', async () => {
    await page.goto(`${stack.url}/models`);
    await page.getByRole('button', { name: 'Add model' }).click();
    await dialog().getByLabel('Slug').fill('ui-model');
    await dialog().getByLabel('Provider credential').selectOption({ label: 'ui-openai (OpenAI-compatible)' });
    await dialog().getByLabel('Upstream model').fill('demo-gpt');
    await dialog().getByLabel('Input price per 1M tokens (USD)').fill('0.5');
    await dialog().getByLabel('Output price per 1M tokens (USD)').fill('1.5');
    await screenshot(page, 'infra-models-create');
    await dialog().getByRole('button', { name: 'Add model' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row(page, 'ui-model').waitFor();

    const credential = (await list<ProviderCredentialView>('/provider-credentials')).find(
      (c) => c.name === 'ui-openai',
    );
    const model = (await list<ModelView>('/models')).find((m) => m.slug === 'ui-model');
    expect(model).toMatchObject({
      credentialId: credential?.id,
      upstreamModel: 'demo-gpt',
      inputPricePerMTok: 0.5,
      outputPricePerMTok: 1.5,
      enabled: true,
    });

    await page.goto(`${stack.url}/providers`);
    const credentialRow = row(page, 'ui-openai');
    await credentialRow.getByRole('link', { name: 'ui-model' }).waitFor();
    await credentialRow.getByRole('button', { name: 'Delete ui-openai' }).click();
    await dialog().getByText('1 model uses this credential').waitFor();
    expect(await dialog().textContent()).toContain('ui-model');
    await screenshot(page, 'infra-providers-delete-warning');

    // Without force the API answers 409; the dialog says so and offers to delete anyway.
    await dialog().getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog().getByRole('alert').waitFor();
    expect(await dialog().getByRole('alert').textContent()).toContain('The control plane refused');
    expect(
      (await list<ProviderCredentialView>('/provider-credentials')).some((c) => c.name === 'ui-openai'),
    ).toBe(true);
    await screenshot(page, 'infra-providers-delete-conflict');
    await dialog().getByRole('button', { name: 'Delete anyway' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await credentialRow.waitFor({ state: 'detached' });

    expect((await list<ProviderCredentialView>('/provider-credentials')).map((c) => c.name).sort()).toEqual([
      'demo-anthropic',
      'demo-openai',
    ]);
    expect((await list<ModelView>('/models')).some((m) => m.slug === 'ui-model')).toBe(false);
  });
});

describe('models', () => {
  it('toggles a model off and on with its switch', async () => {
    await page.goto(`${stack.url}/models`);
    const toggle = page.getByRole('switch', { name: 'demo-claude enabled' });
    await toggle.waitFor();
    expect(await toggle.isChecked()).toBe(true);
    await toggle.click();
    await page.getByText('Model demo-claude disabled').waitFor();
    expect(await toggle.isChecked()).toBe(false);
    expect((await list<ModelView>('/models')).find((m) => m.slug === 'demo-claude')?.enabled).toBe(false);
    await screenshot(page, 'infra-models');

    await toggle.click();
    await page.getByText('Model demo-claude enabled').waitFor();
    expect((await list<ModelView>('/models')).find((m) => m.slug === 'demo-claude')?.enabled).toBe(true);
  });

  it('edits a price, showing a bad value under its field without losing it', async () => {
    await page.getByRole('button', { name: 'Edit demo-gpt' }).click();
    const input = dialog().getByLabel('Input price per 1M tokens (USD)');
    expect(await input.inputValue()).toBe('1');
    await input.fill('-1');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().getByText('must be at least 0').waitFor();
    expect(await input.inputValue()).toBe('-1');
    await screenshot(page, 'infra-models-edit-error');

    await input.fill('2.5');
    await dialog().getByLabel('Output price per 1M tokens (USD)').fill('7.5');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row(page, 'demo-gpt').getByText('$2.50').waitFor();
    const model = (await list<ModelView>('/models')).find((m) => m.slug === 'demo-gpt');
    expect(model).toMatchObject({
      inputPricePerMTok: 2.5,
      outputPricePerMTok: 7.5,
      upstreamModel: 'demo-gpt',
    });
  });

  it('keeps the search in the URL', async () => {
    await page.goto(`${stack.url}/models?search=claude`);
    await row(page, 'demo-claude').waitFor();
    expect(await row(page, 'demo-gpt').count()).toBe(0);
    expect(await page.getByLabel('Search models').inputValue()).toBe('claude');
  });
});

describe('MCP servers', () => {
  it('adds a server with a secret header, refreshes its tools and shows them', async () => {
    await page.goto(`${stack.url}/mcp-servers`);
    await page.getByText('No MCP servers yet').waitFor();
    await screenshot(page, 'infra-mcp-servers-empty');
    await page.getByRole('button', { name: 'Add MCP server' }).first().click();
    await dialog().getByLabel('Name', { exact: true }).fill('demo-tools');
    await dialog().getByLabel('URL').fill(`${stack.fleet.upstream.url}/mcp`);
    await dialog().getByRole('button', { name: 'Add header' }).click();
    await dialog().getByLabel('Header 1 name').fill('Authorization');
    await dialog().getByLabel('Header 1 value').fill('Bearer mcp-secret-value-123');
    await screenshot(page, 'infra-mcp-servers-create');
    await dialog().getByRole('button', { name: 'Add MCP server' }).click();

    // After a create the server's tools open, ready to be read from the server.
    await dialog().getByRole('heading', { name: 'Tools of demo-tools' }).waitFor();
    await dialog().getByText('No tools known yet.').waitFor();
    await dialog().getByRole('button', { name: 'Refresh tools' }).click();
    const tools = dialog().getByRole('list', { name: 'Tools of demo-tools' });
    await tools.getByText('search_issues').waitFor();
    expect(await tools.textContent()).toContain('create_issue');
    expect(await tools.textContent()).toContain('delete_repo');
    await screenshot(page, 'infra-mcp-tools');
    await dialog().getByRole('button', { name: 'Close' }).first().click();

    await row(page, 'demo-tools').getByText('3 tools').waitFor();
    const server = (await list<McpServerView>('/mcp-servers')).find((s) => s.name === 'demo-tools');
    expect(server?.tools.map((t) => t.name).sort()).toEqual(['create_issue', 'delete_repo', 'search_issues']);
    expect(server?.headerNames).toEqual(['Authorization']);
    expect(await page.content()).not.toContain('mcp-secret-value-123');
    await screenshot(page, 'infra-mcp-servers');
  });

  it('edits a server without re-entering its header values, which are kept', async () => {
    await page.getByRole('button', { name: 'Edit demo-tools' }).click();
    const value = dialog().getByLabel('Header 1 value');
    expect(await value.inputValue()).toBe('');
    expect(await value.getAttribute('placeholder')).toBe('Leave blank to keep');
    await dialog().getByLabel('Description (optional)').fill('The fake upstream’s tools');
    await screenshot(page, 'infra-mcp-servers-edit');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row(page, 'demo-tools').getByText('The fake upstream’s tools').waitFor();
    const server = (await list<McpServerView>('/mcp-servers')).find((s) => s.name === 'demo-tools');
    expect(server).toMatchObject({
      description: 'The fake upstream’s tools',
      headerNames: ['Authorization'],
    });
    // The kept header still works: the server's tools can be read with it again.
    const refreshed = await api<McpServerView>('POST', `${org()}/mcp-servers/${server?.id}/refresh-tools`);
    expect(refreshed.tools).toHaveLength(3);
  });

  it("shows the API's error when a server's tools cannot be read", async () => {
    const port = await freePort();
    await api('POST', `${org()}/mcp-servers`, { name: 'unreachable', url: `http://127.0.0.1:${port}/mcp` });
    await page.reload();
    await row(page, 'unreachable').getByRole('button', { name: 'Tools of unreachable: 0' }).click();
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
    await page.getByRole('button', { name: 'Attach a gateway' }).click();
    await dialog().getByLabel('Gateway name').fill('edge-1');
    await dialog().getByRole('button', { name: 'Create token' }).click();
    // A taken name comes back under the field, and stays typed.
    await dialog().getByText('is already used by another gateway').waitFor();
    await dialog().getByLabel('Gateway name').fill('edge-ui');
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
    await row(page, 'edge-ui').getByText('Never seen').waitFor();

    // A real gateway process with the token read from the page.
    const stateDir = mkdtempSync(path.join(tmpdir(), 'portcullis-gw-ui-'));
    tempDirs.push(stateDir);
    const gateway: Gateway = {
      url: '',
      stateDir,
      port: await freePort(),
      name: 'edge-ui',
      token,
      proc: null,
    };
    stack.fleet.gateways.push(gateway);
    await stack.fleet.startGateway(gateway);

    // No reload: the list refreshes itself, and shows the snapshot version once the gateway reports one.
    await row(page, 'edge-ui').getByText('Online').waitFor({ timeout: 20_000 });
    await row(page, 'edge-ui').getByText('Up to date').waitFor({ timeout: 20_000 });
    const view = (await list<GatewayView>('/gateways')).find((g) => g.name === 'edge-ui');
    expect(view?.status).toBe('online');
    expect(view?.snapshotVersion).toBeGreaterThan(0);
    expect(await row(page, 'edge-ui').getByRole('cell').nth(2).textContent()).toMatch(/^\d[\d,]*$/);
    await screenshot(page, 'infra-gateways-attached');
  });

  it('detaches a gateway after a confirmation', async () => {
    await row(page, 'edge-ui').getByRole('button', { name: 'Detach edge-ui' }).click();
    await dialog().getByText("Are you sure you want to detach 'edge-ui'?").waitFor();
    await screenshot(page, 'infra-gateways-detach');
    await dialog().getByRole('button', { name: 'Detach' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row(page, 'edge-ui').waitFor({ state: 'detached' });
    expect((await list<GatewayView>('/gateways')).map((g) => g.name)).toEqual(['edge-1']);
  });
});

describe('webhooks', () => {
  let receiver: Server;
  let receiverUrl = '';
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/portcullis`;
  });

  afterAll(async () => {
    await new Promise((resolve) => receiver?.close(resolve));
  });

  let secret = '';

  it('creates a webhook and shows its signing secret once', async () => {
    await page.goto(`${stack.url}/webhooks`);
    await page.getByText('No webhooks yet').waitFor();
    await screenshot(page, 'infra-webhooks-empty');
    await page.getByRole('button', { name: 'Add webhook' }).first().click();
    // No event at all is refused by the API, under the events.
    await dialog().getByLabel('Endpoint URL').fill(receiverUrl);
    for (const box of await dialog().getByRole('checkbox').all()) await box.uncheck();
    await dialog().getByRole('button', { name: 'Add webhook' }).click();
    await dialog().getByText('must name at least one event type').waitFor();
    expect(await dialog().getByLabel('Endpoint URL').inputValue()).toBe(receiverUrl);
    await dialog()
      .getByRole('checkbox', { name: /budget\.threshold/ })
      .check();
    await dialog()
      .getByRole('checkbox', { name: /webhook\.test/ })
      .check();
    await screenshot(page, 'infra-webhooks-create');
    await dialog().getByRole('button', { name: 'Add webhook' }).click();

    await dialog().getByText('Webhook created! Copy its signing secret now').waitFor();
    secret = (await dialog().locator('.secret-block').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^whsec_/);
    expect(await dialog().textContent()).toContain('verifyWebhookSignature');
    await screenshot(page, 'infra-webhooks-secret');
    await dialog().getByRole('button', { name: 'Done' }).click();
    await dialog().waitFor({ state: 'hidden' });
    expect(await page.content()).not.toContain(secret);

    const hook = row(page, receiverUrl);
    await hook.getByText('None yet').waitFor();
    expect(await hook.textContent()).toContain(`whsec_…${secret.slice(-4)}`);
    const [stored] = await list<WebhookView>('/webhooks');
    expect(stored).toMatchObject({ url: receiverUrl, events: ['budget.threshold', 'webhook.test'] });
  });

  it('sends a signed test delivery and lists it as succeeded', async () => {
    await page.getByRole('button', { name: `Send test to ${receiverUrl}` }).click();
    await page.getByText('Test delivery queued').waitFor();
    await waitUntil('the webhook receives a delivery', async () => received.length > 0, 10_000, 100);
    const delivery = received[0];
    const verified = verifyWebhookSignature(
      secret,
      delivery?.headers[WEBHOOK_SIGNATURE_HEADER] as string,
      delivery?.body ?? '',
      Math.floor(Date.now() / 1000),
    );
    expect(verified.ok).toBe(true);
    expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({ type: 'webhook.test' });

    await row(page, receiverUrl).getByText('Succeeded').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: `Deliveries to ${receiverUrl}` }).click();
    const deliveryRow = dialog().getByRole('row').filter({ hasText: 'webhook.test' });
    await deliveryRow.getByText('Succeeded').waitFor();
    expect(await deliveryRow.textContent()).toContain('200');
    await screenshot(page, 'infra-webhooks-deliveries');
    await dialog().getByRole('button', { name: 'Close' }).first().click();

    const [hook] = await list<WebhookView>('/webhooks');
    const deliveries = await list<WebhookDeliveryView>(`/webhooks/${hook?.id}/deliveries`);
    expect(deliveries[0]).toMatchObject({ type: 'webhook.test', status: 'succeeded', lastStatusCode: 200 });
    await screenshot(page, 'infra-webhooks');
  });

  it('deletes a webhook after a confirmation', async () => {
    await page.getByRole('button', { name: `Delete webhook ${receiverUrl}` }).click();
    await dialog().getByRole('button', { name: 'Delete' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await page.getByText('No webhooks yet').waitFor();
    expect(await list<WebhookView>('/webhooks')).toEqual([]);
  });
});

describe('a member', () => {
  let member: Page;
  let memberId = '';

  beforeAll(async () => {
    const email = 'infra-member@portcullis.test';
    const password = 'infra-member-password-1';
    memberId = (await addMember(stack, { email, name: 'Infra Member', password })).user.id;
    member = await signedInPage(browser, stack.url, { email, password }, { width: 1280, height: 800 });
  });

  afterAll(async () => {
    await member?.context().close();
  });

  it('sees the models granted to it, read-only', async () => {
    // Without a grant a member may use no model: the page says whom to ask.
    await member.goto(`${stack.url}/models`);
    await member.getByText('No models available to you').waitFor();
    await screenshot(member, 'infra-models-member-empty');
    await api('POST', `${org()}/users/${memberId}/grants`, { model: 'demo-gpt' });
    await member.reload();
    await row(member, 'demo-gpt').waitFor();
    expect(await row(member, 'demo-claude').count()).toBe(0);
    expect(await member.getByRole('button', { name: 'Add model' }).count()).toBe(0);
    expect(await member.getByRole('button', { name: 'Edit demo-gpt' }).count()).toBe(0);
    expect(await member.getByRole('switch').count()).toBe(0);
    await screenshot(member, 'infra-models-member');
  });

  it('sees MCP servers and their tools read-only', async () => {
    await member.goto(`${stack.url}/mcp-servers`);
    await row(member, 'demo-tools').waitFor();
    expect(await member.getByRole('button', { name: 'Add MCP server' }).count()).toBe(0);
    expect(await member.getByRole('button', { name: 'Edit demo-tools' }).count()).toBe(0);
    expect(await member.getByRole('button', { name: 'Delete demo-tools' }).count()).toBe(0);
    await member.getByRole('button', { name: 'Tools of demo-tools: 3' }).click();
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
