import type { ModelView } from '@portcullis/shared/providers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FULL_ADMIN,
  type FullStack,
  launchBrowser,
  screenshot,
  signedInPage,
  startFullStack,
  waitUntil,
} from './stack';

/**
 * Prompt-cache prices on the models page, and what the key's usage history shows of metering: cache
 * writes and reads, and tokens the gateway had to estimate. A real stack, calls through the gateway.
 */
let stack: FullStack;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const org = () => `/orgs/${stack.fleet.orgId}`;
const api = <T>(method: string, path: string, body?: unknown) => stack.fleet.api<T>(method, path, body);
const model = async (slug: string) =>
  (await api<{ data: ModelView[] }>('GET', `${org()}/models?limit=200`)).data.find((m) => m.slug === slug);
const dialog = () => page.getByRole('dialog');
const row = (name: string) => page.getByRole('row').filter({ hasText: name });

beforeAll(async () => {
  stack = await startFullStack();
  browser = await launchBrowser();
  page = await signedInPage(browser, stack.url, FULL_ADMIN);
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 60_000);

describe('models: cache prices', () => {
  it('adds a model with its own cache prices, refuses a negative one under its field, and puts one back to the default', async () => {
    await page.goto(`${stack.url}/models`);
    await page.getByRole('button', { name: 'Add model' }).click();
    await dialog().getByLabel('Slug').fill('claude-cached');
    await dialog().getByLabel('Provider credential').selectOption({ label: 'demo-anthropic (Anthropic)' });
    await dialog().getByLabel('Upstream model').fill('claude-cached');
    await dialog().getByLabel('Input price per 1M tokens (USD)').fill('3');
    await dialog().getByLabel('Output price per 1M tokens (USD)').fill('15');
    await dialog().getByLabel('Cache write per 1M tokens (USD)').fill('-1');
    await dialog().getByLabel('Cache read per 1M tokens (USD)').fill('0.3');
    await dialog().getByRole('button', { name: 'Add model' }).click();
    await dialog().getByText('must be at least 0').waitFor();
    expect(await model('claude-cached')).toBeUndefined();
    await dialog().getByLabel('Cache write per 1M tokens (USD)').fill('5');
    await screenshot(page, 'metering-models-cache-prices');
    await dialog().getByRole('button', { name: 'Add model' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row('claude-cached')
      .getByText(/cache \$5\.00 write/)
      .waitFor();
    expect(await model('claude-cached')).toMatchObject({
      cacheWritePricePerMTok: 5,
      cacheReadPricePerMTok: 0.3,
    });

    await page.getByRole('button', { name: 'Edit claude-cached' }).click();
    const write = dialog().getByLabel('Cache write per 1M tokens (USD)');
    expect(await write.inputValue()).toBe('5');
    await write.fill('');
    await dialog().getByRole('button', { name: 'Save changes' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row('claude-cached')
      .getByText(/cache default write/)
      .waitFor();
    expect(await model('claude-cached')).toMatchObject({
      cacheWritePricePerMTok: null,
      cacheReadPricePerMTok: 0.3,
    });
  }, 60_000);
});

describe('keys: usage history', () => {
  it('shows the cache tokens of a request and marks tokens the gateway estimated', async () => {
    const made = await api<{ key: { id: string }; secret: string }>('POST', `${org()}/keys`, {
      name: 'Cache key',
    });
    const system = [
      { type: 'text', text: 'The dashboard manual. '.repeat(300), cache_control: { type: 'ephemeral' } },
    ];
    const call = async (headers: Record<string, string> = {}) => {
      const res = await fetch(`${stack.gatewayUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': made.secret, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({
          model: 'demo-claude',
          max_tokens: 50,
          system,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as {
        usage?: { cache_creation_input_tokens: number; cache_read_input_tokens: number };
      };
    };
    // The new key reaches the gateway by snapshot delta.
    await waitUntil('the gateway knows the key', async () => {
      const res = await fetch(`${stack.gatewayUrl}/v1/models`, { headers: { 'x-api-key': made.secret } });
      return res.status === 200;
    });
    const written = await call();
    const read = await call();
    await call({ 'x-fake-omit-usage': '1' });
    const writes = written.usage?.cache_creation_input_tokens ?? 0;
    expect(writes).toBeGreaterThan(1000);
    expect(read.usage?.cache_read_input_tokens).toBe(writes);
    await waitUntil('three requests in the log', async () => {
      const log = await api<{ data: { route: string }[] }>('GET', `${org()}/keys/${made.key.id}/requests`);
      return log.data.filter((r) => r.route === '/v1/messages').length === 3;
    });

    await page.goto(`${stack.url}/keys?search=Cache%20key`);
    await page.getByRole('button', { name: 'Cache key', exact: true }).click();
    const detail = page.getByRole('dialog', { name: 'Cache key', exact: true });
    await detail.getByRole('tab', { name: 'Usage history' }).click();
    const history = detail.getByRole('table', { name: /Recent requests/ });
    await history.waitFor();
    const n = writes.toLocaleString('en-US');
    await history.getByText(`cache ${n} written · 0 read`).waitFor();
    await history.getByText(`cache 0 written · ${n} read`).waitFor();
    expect(await history.getByText('(estimated)').count()).toBe(1);
    await screenshot(page, 'metering-keys-usage-history');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
