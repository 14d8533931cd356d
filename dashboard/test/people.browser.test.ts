import { execFileSync } from 'node:child_process';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../../control-plane/test/integration/processes';
import { FULL_ADMIN, type FullStack, launchBrowser, screenshot, signedInPage, startFullStack } from './stack';

/**
 * People in a real browser against the real stack: invite through the modal, accept the link in a
 * fresh browser as a new member, what that member can and cannot reach, and as admin the member's
 * detail (rate limit, budget, grants, suspension), the last-admin protection, and groups. Every change
 * made through the UI is checked through the REST API.
 */
const NEW_MEMBER = {
  email: 'nora.member@portcullis.test',
  name: 'Nora Member',
  password: 'nora-password-123',
};

let stack: FullStack;
let browser: Browser;
let admin: Page;
let memberContext: BrowserContext;
let member: Page;
let acceptUrl = '';
let memberId = '';
let adminId = '';

interface Row {
  id: string;
  email: string;
  status: string;
  role: string;
}
interface LimitsBody {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  concurrentRequests: number | null;
  budgets: { limitUsd: number; period: string; alertThresholds: number[] }[];
}

const api = <T>(method: string, path: string, body?: unknown) => stack.fleet.api<T>(method, path, body);
const org = () => `/orgs/${stack.fleet.orgId}`;
const findUser = async (email: string): Promise<Row | undefined> => {
  const page = await api<{ data: Row[] }>('GET', `${org()}/users?search=${encodeURIComponent(email)}`);
  return page.data.find((row) => row.email === email);
};

beforeAll(async () => {
  stack = await startFullStack();
  browser = await launchBrowser();
  admin = await signedInPage(browser, stack.url, FULL_ADMIN);
  adminId = (await findUser(FULL_ADMIN.email))?.id ?? '';
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const dialog = (page: Page, name: string | RegExp) => page.getByRole('dialog', { name });

describe('users, invitations and groups in a real browser', () => {
  it('invites a user through the modal, with API errors under the field that caused them', async () => {
    await admin.goto(`${stack.url}/users`);
    await admin.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await admin.getByRole('row', { name: new RegExp(FULL_ADMIN.email) }).waitFor();
    await screenshot(admin, 'users-list');

    await admin.getByRole('button', { name: 'Invite user' }).first().click();
    const invite = dialog(admin, 'Invite user');
    await invite.waitFor();
    const email = invite.getByLabel('Email');

    // 400: the API's message under the Email field, and what was typed stays.
    await email.fill('not-an-email');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await invite.getByText('must be an email address').waitFor();
    expect(await email.inputValue()).toBe('not-an-email');
    expect(await email.getAttribute('aria-invalid')).toBe('true');

    // 409: an existing member's email, also under the field.
    await email.fill(FULL_ADMIN.email);
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await invite.getByText(/already a member/).waitFor();
    await screenshot(admin, 'users-invite-error');

    await email.fill(NEW_MEMBER.email);
    await invite.getByLabel('Role').selectOption('member');
    await screenshot(admin, 'users-invite-modal');
    await invite.getByRole('button', { name: 'Send invitation' }).click();

    const created = dialog(admin, 'Invitation created');
    await created.waitFor();
    acceptUrl = ((await created.locator('[data-accept-url]').textContent()) ?? '').trim();
    expect(acceptUrl).toMatch(new RegExp(`^${stack.url}/invitations/ptci_`));
    // The test control plane has no SMTP: the modal says nobody was mailed.
    await created.getByText(/No email was sent/).waitFor();
    await created.getByRole('button', { name: 'Copy invitation link' }).waitFor();
    await screenshot(admin, 'users-invite-created');
    await created.getByRole('button', { name: 'Done' }).click();
    await created.waitFor({ state: 'hidden' });

    const row = admin.getByRole('row', { name: new RegExp(NEW_MEMBER.email) });
    await row.getByText('Invited').waitFor();
    expect((await findUser(NEW_MEMBER.email))?.status).toBe('invited');
  });

  it('accepts the invitation in a fresh browser and lands signed in', async () => {
    memberContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    member = await memberContext.newPage();
    await member.goto(acceptUrl);
    await member.getByRole('heading', { name: 'Join your organization' }).waitFor();
    await member.getByLabel('Your name').fill(NEW_MEMBER.name);
    await member.getByLabel('Password', { exact: true }).fill(NEW_MEMBER.password);
    // Checked in the browser: nothing is sent while the two passwords differ.
    await member.getByLabel('Confirm password').fill('something-else');
    await member.getByRole('button', { name: 'Accept invitation' }).click();
    await member.getByText('The passwords do not match').waitFor();
    expect((await findUser(NEW_MEMBER.email))?.status).toBe('invited');
    await screenshot(member, 'invitation-accept');

    await member.getByLabel('Confirm password').fill(NEW_MEMBER.password);
    await member.getByRole('button', { name: 'Accept invitation' }).click();
    await member.waitForURL(/\/keys$/);
    await member.getByText(`Signed in as ${NEW_MEMBER.email}`).waitFor();
    const joined = await findUser(NEW_MEMBER.email);
    expect(joined?.status).toBe('active');
    expect(joined?.role).toBe('member');
    memberId = joined?.id ?? '';
    // The session survives a reload: it is the HttpOnly cookie from signing in.
    await member.reload();
    await member.getByText(`Signed in as ${NEW_MEMBER.email}`).waitFor();
  });

  it('shows a readable message for a used invitation link', async () => {
    const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await other.newPage();
    await page.goto(acceptUrl);
    await page.getByLabel('Your name').fill('Someone Else');
    await page.getByLabel('Password', { exact: true }).fill('another-password-1');
    await page.getByLabel('Confirm password').fill('another-password-1');
    await page.getByRole('button', { name: 'Accept invitation' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'This invitation has already been accepted' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(
      'An admin of the organization can send you a new invitation link',
    );
    await screenshot(page, 'invitation-used');
    await other.close();
  });

  it('shows a readable message for an expired invitation link, and the admin can cancel it', async () => {
    const late = await api<{ invitation: { id: string }; acceptUrl: string }>(
      'POST',
      `${org()}/invitations`,
      {
        email: 'late.comer@portcullis.test',
        role: 'member',
      },
    );
    // Time cannot be moved through the API: the fixture ages the invitation in its own database.
    execFileSync('psql', [
      databaseUrl(stack.fleet.db),
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = '${late.invitation.id}'`,
    ]);
    const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await other.newPage();
    await page.goto(late.acceptUrl);
    await page.getByLabel('Your name').fill('Late Comer');
    await page.getByLabel('Password', { exact: true }).fill('late-password-123');
    await page.getByLabel('Confirm password').fill('late-password-123');
    await page.getByRole('button', { name: 'Accept invitation' }).click();
    const alert = page.getByRole('alert').filter({ hasText: /This invitation has expired/ });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(
      'An admin of the organization can send you a new invitation link',
    );
    await screenshot(page, 'invitation-expired');
    await other.close();

    await admin.goto(`${stack.url}/users?search=late.comer`);
    const row = admin.getByRole('row', { name: /late\.comer@portcullis\.test/ });
    await row.getByText('Invitation expired').waitFor();
    expect(admin.url()).toContain('search=late.comer');
    await row.getByRole('button', { name: /Cancel invitation/ }).click();
    const confirm = dialog(admin, 'Cancel invitation');
    await confirm.getByRole('button', { name: 'Cancel invitation' }).click();
    await admin.getByText('No users match').waitFor();
    expect(await findUser('late.comer@portcullis.test')).toBeUndefined();
  });

  it('keeps the new member out of admin pages', async () => {
    await member.goto(`${stack.url}/keys`);
    const nav = member.getByRole('navigation', { name: 'Console' });
    await nav.getByRole('link', { name: 'API keys' }).waitFor();
    const links = (await nav.getByRole('link').allTextContents()).map((t) => t.trim());
    for (const adminOnly of ['Users', 'Provider credentials', 'Gateways', 'Audit log', 'Webhooks'])
      expect(links).not.toContain(adminOnly);
    expect(links).toContain('Groups');

    for (const path of ['/users', '/providers', '/gateways', '/audit', '/webhooks']) {
      await member.goto(`${stack.url}${path}`);
      await member.getByRole('heading', { name: 'Admins only' }).waitFor();
    }
    await screenshot(member, 'member-admins-only');

    // Their own page is open to them, read-only.
    await member.goto(`${stack.url}/users/${memberId}`);
    await member.getByRole('heading', { name: NEW_MEMBER.name, level: 1 }).waitFor();
    await member.getByRole('heading', { name: 'Rate Limit' }).waitFor();
    expect(await member.getByRole('button', { name: /Edit/ }).count()).toBe(0);
    expect(await member.getByRole('button', { name: 'Add grant' }).count()).toBe(0);
    expect(await member.getByRole('button', { name: 'Suspend' }).count()).toBe(0);
    await screenshot(member, 'user-detail-self');
    // Someone else's page is not.
    await member.goto(`${stack.url}/users/${adminId}`);
    await member.getByRole('heading', { name: 'Admins only' }).waitFor();
  });

  it('lists the new member as active and opens their detail', async () => {
    await admin.goto(`${stack.url}/users`);
    // The search goes to the URL (a reload or a shared link shows the same list) and to the API.
    await admin.getByLabel('Search').fill('nora');
    await admin.waitForURL(/\/users\?search=nora$/);
    await admin.getByRole('row', { name: new RegExp(FULL_ADMIN.email) }).waitFor({ state: 'detached' });
    const row = admin.getByRole('row', { name: new RegExp(NEW_MEMBER.email) });
    await row.getByText('Active').waitFor();
    await row.getByRole('link', { name: NEW_MEMBER.name }).click();
    await admin.waitForURL(new RegExp(`/users/${memberId}$`));
    await admin.getByRole('heading', { name: NEW_MEMBER.name, level: 1 }).waitFor();
    for (const heading of [
      'Rate Limit',
      'Budget Limit',
      'Model Access Grants',
      'Effective policy',
      'API keys',
    ])
      await admin.getByRole('heading', { name: heading }).waitFor();
    await admin.getByRole('figure', { name: /Requests per day/ }).waitFor();
    await admin.getByRole('figure', { name: /Spend per day/ }).waitFor();
    await screenshot(admin, 'user-detail');
  });

  it('edits the rate limit (API errors under the field) and keeps the budgets', async () => {
    await admin.getByRole('button', { name: 'Edit rate limit' }).click();
    const modal = dialog(admin, /Edit rate limit/);
    await modal.waitFor();
    await modal.getByLabel('Requests per minute').fill('120');
    await modal.getByLabel('Tokens per minute', { exact: true }).fill('50000');
    await modal.getByLabel('Concurrent requests').fill('1.5');
    await modal.getByRole('button', { name: 'Save rate limit' }).click();
    await modal.getByText('must be a whole number').waitFor();
    expect(await modal.getByLabel('Requests per minute').inputValue()).toBe('120');
    await screenshot(admin, 'user-rate-limit-modal');
    await modal.getByLabel('Concurrent requests').fill('');
    await modal.getByRole('button', { name: 'Save rate limit' }).click();
    await modal.waitFor({ state: 'hidden' });

    const limits = await api<LimitsBody>('GET', `${org()}/users/${memberId}/limits`);
    expect(limits.requestsPerMinute).toBe(120);
    expect(limits.tokensPerMinute).toBe(50000);
    expect(limits.concurrentRequests).toBeNull();
    const card = admin.getByRole('region', { name: 'Rate Limit' });
    await card.getByText('120', { exact: true }).waitFor();
  });

  it('adds a budget, and a later rate-limit edit keeps it', async () => {
    await admin.getByRole('button', { name: 'Edit budget limit' }).click();
    const modal = dialog(admin, /Edit budgets/);
    await modal.waitFor();
    await modal.getByRole('button', { name: 'Add budget' }).click();
    // The API's 400 names each bad field; the messages land under those inputs, the typing stays.
    await modal.getByLabel('Limit (USD)').fill('-5');
    await modal.getByLabel('Alert thresholds (%)').fill('50, 150');
    await modal.getByRole('button', { name: 'Save budgets' }).click();
    await modal.getByText('must be greater than 0').waitFor();
    await modal.getByText('must be at most 100').waitFor();
    expect(await modal.getByLabel('Alert thresholds (%)').inputValue()).toBe('50, 150');
    await screenshot(admin, 'user-budget-modal-error');
    expect((await api<LimitsBody>('GET', `${org()}/users/${memberId}/limits`)).budgets).toEqual([]);

    await modal.getByLabel('Limit (USD)').fill('25');
    await modal.getByLabel('Period').selectOption('monthly');
    await modal.getByLabel('Alert thresholds (%)').fill('50, 80, 100');
    await screenshot(admin, 'user-budget-modal');
    await modal.getByRole('button', { name: 'Save budgets' }).click();
    await modal.waitFor({ state: 'hidden' });
    await admin
      .getByRole('region', { name: 'Budget Limit' })
      .getByText(/\$25\.00 monthly/)
      .waitFor();

    let limits = await api<LimitsBody>('GET', `${org()}/users/${memberId}/limits`);
    expect(limits.budgets).toEqual([
      expect.objectContaining({ limitUsd: 25, period: 'monthly', alertThresholds: [50, 80, 100] }),
    ]);
    expect(limits.requestsPerMinute).toBe(120);

    // The PUT replaces the whole policy: editing the rate limit must send the budget back.
    await admin.getByRole('button', { name: 'Edit rate limit' }).click();
    const rate = dialog(admin, /Edit rate limit/);
    await rate.getByLabel('Requests per minute').fill('100');
    await rate.getByRole('button', { name: 'Save rate limit' }).click();
    await rate.waitFor({ state: 'hidden' });
    limits = await api<LimitsBody>('GET', `${org()}/users/${memberId}/limits`);
    expect(limits.requestsPerMinute).toBe(100);
    expect(limits.budgets).toHaveLength(1);
    expect(limits.budgets[0]?.limitUsd).toBe(25);
  });

  it('adds a grant for demo-gpt and revokes it', async () => {
    const card = admin.getByRole('region', { name: 'Model Access Grants' });
    await card.getByText('No models granted.').waitFor();
    await card.getByRole('button', { name: 'Add grant' }).click();
    const modal = dialog(admin, /Add grant/);
    await modal.getByLabel('Model').selectOption('demo-gpt');
    await screenshot(admin, 'user-add-grant-modal');
    await modal.getByRole('button', { name: 'Add grant' }).click();
    await modal.waitFor({ state: 'hidden' });
    await card.getByText('demo-gpt').waitFor();
    let grants = await api<{ data: { model: string }[] }>('GET', `${org()}/users/${memberId}/grants`);
    expect(grants.data.map((g) => g.model)).toEqual(['demo-gpt']);
    await admin
      .getByRole('region', { name: 'Effective policy' })
      .getByText(/granted models.*demo-gpt/)
      .waitFor();

    await card.getByRole('button', { name: 'Revoke demo-gpt' }).click();
    const confirm = dialog(admin, 'Revoke model access');
    await screenshot(admin, 'user-revoke-grant');
    await confirm.getByRole('button', { name: 'Revoke access' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await card.getByText('No models granted.').waitFor();
    grants = await api<{ data: { model: string }[] }>('GET', `${org()}/users/${memberId}/grants`);
    expect(grants.data).toEqual([]);
  });

  it('suspends and reactivates the member', async () => {
    await admin.getByRole('button', { name: 'Suspend', exact: true }).click();
    const confirm = dialog(admin, /Suspend/);
    await screenshot(admin, 'user-suspend-confirm');
    await confirm.getByRole('button', { name: 'Suspend' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await admin.getByRole('button', { name: 'Reactivate', exact: true }).waitFor();
    expect((await api<Row>('GET', `${org()}/users/${memberId}`)).status).toBe('suspended');

    await admin.goto(`${stack.url}/users?status=suspended`);
    const row = admin.getByRole('row', { name: new RegExp(NEW_MEMBER.email) });
    await row.getByText('Suspended').waitFor();
    await row.getByRole('link', { name: NEW_MEMBER.name }).click();
    await admin.getByRole('button', { name: 'Reactivate', exact: true }).click();
    const back = dialog(admin, /Reactivate/);
    await back.getByRole('button', { name: 'Reactivate' }).click();
    await back.waitFor({ state: 'hidden' });
    await admin.getByRole('button', { name: 'Suspend', exact: true }).waitFor();
    expect((await api<Row>('GET', `${org()}/users/${memberId}`)).status).toBe('active');
  });

  it('explains why the only admin cannot demote themself', async () => {
    await admin.goto(`${stack.url}/users/${adminId}`);
    await admin.getByRole('heading', { name: 'Membership' }).waitFor();
    await admin.getByLabel('Role').selectOption('member');
    await admin.getByRole('button', { name: 'Change role' }).click();
    const alert = admin.getByRole('region', { name: 'Membership' }).getByRole('alert');
    await alert.getByText(/last admin of the organization/).waitFor();
    await screenshot(admin, 'user-last-admin');
    expect((await api<Row>('GET', `${org()}/users/${adminId}`)).role).toBe('admin');
  });

  it('creates a group, adds the member and sets a group limit', async () => {
    await admin.goto(`${stack.url}/groups`);
    await admin.getByRole('heading', { name: 'No groups yet' }).waitFor();
    await screenshot(admin, 'groups-empty');
    await admin.getByRole('button', { name: 'Create group' }).first().click();
    const create = dialog(admin, 'Create group');
    await create.getByLabel('Group name').fill('Platform team');
    await screenshot(admin, 'groups-create-modal');
    await create.getByRole('button', { name: 'Create group' }).click();
    await admin.getByRole('heading', { name: 'Platform team', level: 1 }).waitFor();
    const groupId = admin.url().split('/groups/')[1] ?? '';
    expect(groupId).not.toBe('');

    await admin.getByRole('button', { name: 'Add member' }).click();
    const add = dialog(admin, /Add member to/);
    await add.getByLabel('Member').selectOption({ label: `${NEW_MEMBER.name} (${NEW_MEMBER.email})` });
    await add.getByRole('button', { name: 'Add member' }).click();
    await add.waitFor({ state: 'hidden' });
    await admin.getByRole('region', { name: 'Members' }).getByText(NEW_MEMBER.email).waitFor();

    await admin.getByRole('button', { name: 'Edit rate limit' }).click();
    const rate = dialog(admin, /Edit rate limit/);
    await rate.getByLabel('Requests per minute').fill('30');
    await rate.getByRole('button', { name: 'Save rate limit' }).click();
    await rate.waitFor({ state: 'hidden' });
    await screenshot(admin, 'group-detail');

    const group = await api<{ members: { id: string }[] }>('GET', `${org()}/groups/${groupId}`);
    expect(group.members.map((m) => m.id)).toEqual([memberId]);
    const limits = await api<LimitsBody>('GET', `${org()}/groups/${groupId}/limits`);
    expect(limits.requestsPerMinute).toBe(30);

    // The member's effective policy now names the group as the strictest requests/min rule.
    await admin.goto(`${stack.url}/users/${memberId}`);
    const effective = admin.getByRole('region', { name: 'Effective policy' });
    const rpm = effective.getByRole('row', { name: /Requests per minute/ });
    await rpm.getByRole('link', { name: 'Platform team' }).waitFor();
    expect(await rpm.textContent()).toContain('30');

    // A duplicate name is refused under the field; renaming from the list works.
    await admin.goto(`${stack.url}/groups`);
    await admin.getByRole('button', { name: 'Create group' }).click();
    const again = dialog(admin, 'Create group');
    await again.getByLabel('Group name').fill('Platform team');
    await again.getByRole('button', { name: 'Create group' }).click();
    await again.getByText('is already used by another group').waitFor();
    await again.getByRole('button', { name: 'Cancel' }).click();
    await admin.getByRole('button', { name: 'Rename Platform team' }).click();
    const rename = dialog(admin, /Rename/);
    await rename.getByLabel('Group name').fill('Platform squad');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await rename.waitFor({ state: 'hidden' });
    await admin.getByRole('link', { name: 'Platform squad' }).waitFor();
    expect((await api<{ name: string }>('GET', `${org()}/groups/${groupId}`)).name).toBe('Platform squad');
    await screenshot(admin, 'groups-list');

    // The member sees their group, read-only.
    await member.goto(`${stack.url}/groups`);
    await member.getByRole('link', { name: 'Platform squad' }).waitFor();
    expect(await member.getByRole('button', { name: 'Create group' }).count()).toBe(0);
  });

  it('deletes a group after confirmation', async () => {
    const temp = await api<{ id: string }>('POST', `${org()}/groups`, { name: 'Short-lived' });
    await admin.goto(`${stack.url}/groups`);
    await admin.getByRole('button', { name: 'Delete Short-lived' }).click();
    const confirm = dialog(admin, 'Delete group');
    await screenshot(admin, 'groups-delete-confirm');
    await confirm.getByRole('button', { name: 'Delete group' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await admin.getByRole('link', { name: 'Short-lived' }).waitFor({ state: 'detached' });
    await expect(api('GET', `${org()}/groups/${temp.id}`)).rejects.toThrow(/404/);
  });

  it('shows the users list on a narrow screen without sideways scrolling of the page', async () => {
    await admin.setViewportSize({ width: 375, height: 800 });
    await admin.goto(`${stack.url}/users`);
    await admin.getByRole('row', { name: new RegExp(FULL_ADMIN.email) }).waitFor();
    // Anything wider than the screen must scroll inside its own box (the table does), not the page.
    const page = await admin.evaluate(() => ({
      width: document.documentElement.scrollWidth,
      widest: Array.from(document.querySelectorAll('main *'))
        .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .slice(0, 10)
        .map((el) => `${el.tagName.toLowerCase()}.${el.className}`),
    }));
    expect(page.width, `wider than the screen: ${page.widest.join(', ')}`).toBeLessThanOrEqual(375);
    await screenshot(admin, 'users-list-narrow');
    await admin.setViewportSize({ width: 1280, height: 900 });
  });
});
