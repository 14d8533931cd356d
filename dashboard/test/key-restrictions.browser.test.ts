import type { ApiKey } from '@portcullis/shared/api-keys';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, type FullStack, launchBrowser, screenshot, signedInPage, startFullStack } from './stack';

/**
 * A member and the restrictions an admin set on their key, in the browser: a loosening is refused
 * under the field it touched and changes nothing; tightening works; a key an admin deactivated offers
 * the member no Activate button. Each test makes its own key through the REST API.
 */
let stack: FullStack;
let browser: Browser;
let member: Page;
let memberId = '';

const org = () => `/orgs/${stack.fleet.orgId}`;
const dialog = (name: string) => member.getByRole('dialog', { name, exact: true });

beforeAll(async () => {
  stack = await startFullStack();
  browser = await launchBrowser();
  const email = 'restricted-member@portcullis.test';
  const password = 'restricted-member-password-1';
  memberId = (await addMember(stack, { email, name: 'Restricted Member', password })).user.id;
  member = await signedInPage(browser, stack.url, { email, password });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function keyForMember(name: string): Promise<ApiKey> {
  const { key } = await stack.fleet.api<{ key: ApiKey }>('POST', `${org()}/keys`, {
    name,
    ownerId: memberId,
    limits: { requestsPerMinute: 10 },
  });
  return key;
}

async function openDetail(name: string) {
  await member.goto(`${stack.url}/keys?search=${encodeURIComponent(name)}`);
  await member.getByRole('button', { name, exact: true }).click();
  const detail = dialog(name);
  await detail.getByRole('tab', { name: 'Overview' }).waitFor();
  return detail;
}

describe('a member editing a key an admin restricted', () => {
  it('is refused a higher limit under the field, and the key keeps the admin’s limit', async () => {
    const key = await keyForMember('Limited by admin');
    const detail = await openDetail(key.name);
    await detail.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = dialog(`Edit “${key.name}”`);
    await edit.getByText('An admin set some of this key’s restrictions').waitFor();
    const rpm = edit.getByLabel('Requests per minute');
    expect(await rpm.inputValue()).toBe('10');
    await rpm.fill('100');
    expect(await rpm.inputValue()).toBe('100');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.getByText('Must be at most 10 (set by an admin)').waitFor();
    // What was typed stays, so the member can correct it.
    expect(await rpm.inputValue()).toBe('100');
    await screenshot(member, 'keys-member-restricted');
    const stored = await stack.fleet.api<ApiKey>('GET', `${org()}/keys/${key.id}`);
    expect(stored.limits.requestsPerMinute).toBe(10);

    await rpm.fill('5');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'hidden' });
    await detail.getByText('Requests per minute: 5').waitFor();
    expect((await stack.fleet.api<ApiKey>('GET', `${org()}/keys/${key.id}`)).limits.requestsPerMinute).toBe(
      5,
    );
  }, 60_000);

  it('offers no Activate button for a key an admin deactivated', async () => {
    const key = await keyForMember('Paused by admin');
    await stack.fleet.api('POST', `${org()}/keys/${key.id}/deactivate`);
    const detail = await openDetail(key.name);
    await detail.getByText('An admin deactivated this key; only an admin can activate it.').waitFor();
    expect(await detail.getByRole('button', { name: 'Activate', exact: true }).count()).toBe(0);
    await screenshot(member, 'keys-member-deactivated-by-admin');
  }, 60_000);
});
