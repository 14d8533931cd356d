import { execFileSync } from 'node:child_process';
import { databaseUrl } from '@portcullis/testing/processes';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addMember,
  apiAs,
  FULL_ADMIN,
  type FullStack,
  fillChecked,
  type JoinedMember,
  launchBrowser,
  newOrganization,
  openInOrganization,
  screenshot,
  signedInPage,
  startFullStack,
  unique,
} from './stack';

/**
 * People in a real browser against the real stack: invite through the modal, accept the link in a
 * fresh browser as a new member, what a member can and cannot reach, and as admin a member's detail
 * (rate limit, budget, grants, suspension), the last-admin protection, and groups. Every change made
 * through the UI is checked through the REST API. Each test makes the people and groups it works on
 * through the API (with names no other test uses), so any test can run alone.
 */
let stack: FullStack;
let browser: Browser;
let admin: Page;
/** The admin in a second browser, for organizations that hold nothing yet. */
let elsewhere: Page;
/** A member, signed in in a browser of their own, for what members see. */
let reader: { page: Page; id: string; name: string; email: string };
let adminId = '';
const VIEWPORT = { width: 1280, height: 900 };

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

/** Someone no other test uses: a name, an email whose local part is a search term of its own, a password. */
const person = (first: string) => {
  const handle = unique(first.toLowerCase());
  return { name: `${first} ${handle}`, email: `${handle}@portcullis.test`, password: `${handle}-password` };
};
/** A member who joined through an invitation (both made through the API). */
const newMember = async (first: string) => {
  const who = person(first);
  const joined: JoinedMember = await addMember(stack, who);
  return { ...who, id: joined.user.id };
};
/** An invitation made through the API: its accept link and the invitee's id. */
const invite = (email: string) =>
  api<{ invitation: { id: string }; acceptUrl: string }>('POST', `${org()}/invitations`, {
    email,
    role: 'member',
  });

beforeAll(async () => {
  stack = await startFullStack();
  browser = await launchBrowser();
  admin = await signedInPage(browser, stack.url, FULL_ADMIN, VIEWPORT);
  elsewhere = await signedInPage(browser, stack.url, FULL_ADMIN, VIEWPORT);
  adminId = (await findUser(FULL_ADMIN.email))?.id ?? '';
  const member = await newMember('Reader');
  reader = { ...member, page: await signedInPage(browser, stack.url, member, VIEWPORT) };
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

// A test that failed on a narrow screen does not leave the next one there.
beforeEach(() => admin.setViewportSize(VIEWPORT));

const dialog = (page: Page, name: string | RegExp) => page.getByRole('dialog', { name });

describe('users, invitations and groups in a real browser', () => {
  it('invites a user through the modal, with API errors under the field that caused them', async () => {
    const invitee = person('Nora');
    await admin.goto(`${stack.url}/users`);
    await admin.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await admin.getByRole('row', { name: new RegExp(FULL_ADMIN.email) }).waitFor();
    await screenshot(admin, 'users-list');

    await admin.getByRole('button', { name: 'Invite user' }).first().click();
    const invite = dialog(admin, 'Invite user');
    const email = invite.getByLabel('Email');
    await email.waitFor();

    // 400: the API's message under the Email field, and what was typed stays.
    await fillChecked(email, 'not-an-email');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await invite.getByText('must be an email address').waitFor();
    expect(await email.inputValue()).toBe('not-an-email');
    expect(await email.getAttribute('aria-invalid')).toBe('true');

    // 409: an existing member's email, also under the field (it replaces the 400's message).
    await fillChecked(email, FULL_ADMIN.email);
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await invite.getByText(/already a member/).waitFor();
    expect(await invite.getByText('must be an email address').count()).toBe(0);
    await screenshot(admin, 'users-invite-error');

    await fillChecked(email, invitee.email);
    await invite.getByLabel('Role').selectOption('member');
    await screenshot(admin, 'users-invite-modal');
    await invite.getByRole('button', { name: 'Send invitation' }).click();

    const created = dialog(admin, 'Invitation created');
    await created.waitFor();
    const acceptUrl = ((await created.locator('[data-accept-url]').textContent()) ?? '').trim();
    expect(acceptUrl).toMatch(new RegExp(`^${stack.url}/invitations/ptci_`));
    // The test control plane has no SMTP: the modal says nobody was mailed.
    await created.getByText(/No email was sent/).waitFor();
    await created.getByRole('button', { name: 'Copy invitation link' }).waitFor();
    await screenshot(admin, 'users-invite-created');
    await created.getByRole('button', { name: 'Done' }).click();
    await created.waitFor({ state: 'hidden' });

    const row = admin.getByRole('row', { name: new RegExp(invitee.email) });
    await row.getByText('Invited').waitFor();
    expect((await findUser(invitee.email))?.status).toBe('invited');
  });

  it('accepts the invitation in a fresh browser and lands signed in', async () => {
    const invitee = person('Nora');
    const { acceptUrl } = await invite(invitee.email);
    const context = await browser.newContext({ viewport: VIEWPORT });
    try {
      const member = await context.newPage();
      await member.goto(acceptUrl);
      await member.getByRole('heading', { name: 'Join your organization' }).waitFor();
      await fillChecked(member.getByLabel('Your name'), invitee.name);
      await fillChecked(member.getByLabel('Password', { exact: true }), invitee.password);
      // Checked in the browser: nothing is sent while the two passwords differ.
      await fillChecked(member.getByLabel('Confirm password'), 'something-else');
      await member.getByRole('button', { name: 'Accept invitation' }).click();
      await member.getByText('The passwords do not match').waitFor();
      expect((await findUser(invitee.email))?.status).toBe('invited');
      await screenshot(member, 'invitation-accept');

      await fillChecked(member.getByLabel('Confirm password'), invitee.password);
      await member.getByRole('button', { name: 'Accept invitation' }).click();
      await member.waitForURL(/\/keys$/);
      await member.getByText(`Signed in as ${invitee.email}`).waitFor();
      const joined = await findUser(invitee.email);
      expect(joined?.status).toBe('active');
      expect(joined?.role).toBe('member');
      // The session survives a reload: it is the HttpOnly cookie from signing in.
      await member.reload();
      await member.getByText(`Signed in as ${invitee.email}`).waitFor();
    } finally {
      await context.close();
    }
  });

  it('an existing account is asked to sign in as itself, comes back after signing in, and joins with its session', async () => {
    // Someone with an account here; a second organization invites them.
    const existing = await newMember('Joiner');
    const second = await api<{ id: string }>('POST', '/orgs', { name: unique('Second org') });
    const { acceptUrl } = await api<{ acceptUrl: string }>('POST', `/orgs/${second.id}/invitations`, {
      email: existing.email,
      role: 'member',
    });
    const context = await browser.newContext({ viewport: VIEWPORT });
    try {
      const page = await context.newPage();
      await page.goto(acceptUrl);
      // No password field: the accept page never takes an existing account's password.
      const notice = page.locator('[data-sign-in-required]');
      await notice.getByText(`sign in as ${existing.email} to accept`).waitFor();
      expect(await page.getByLabel('Password', { exact: true }).count()).toBe(0);
      await screenshot(page, 'invitation-sign-in-first');
      await notice.getByRole('link', { name: `Sign in as ${existing.email}` }).click();
      await page.waitForURL(/\/sign-in\?next=/);
      await fillChecked(page.getByLabel('Email'), existing.email);
      await fillChecked(page.getByLabel('Password'), existing.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      // Back on the invitation, signed in as its invitee.
      await page.waitForURL(acceptUrl);
      await page.getByText(`You are signed in as ${existing.email}.`).waitFor();
      await page.getByRole('button', { name: 'Accept invitation' }).click();
      await page.waitForURL(/\/keys$/);
      const members = await api<{ data: Row[] }>(
        'GET',
        `/orgs/${second.id}/users?search=${encodeURIComponent(existing.email)}`,
      );
      expect(members.data.find((r) => r.email === existing.email)?.status).toBe('active');
    } finally {
      await context.close();
    }
  });

  it('shows a readable message for a used invitation link', async () => {
    const invitee = person('Used');
    const { acceptUrl } = await invite(invitee.email);
    const token = acceptUrl.split('/').pop() ?? '';
    await apiAs(stack, '', 'POST', `/invitations/${token}/accept`, {
      name: invitee.name,
      password: invitee.password,
    });
    const other = await browser.newContext({ viewport: VIEWPORT });
    try {
      const page = await other.newPage();
      // The page asks the control plane what the link is for before offering any form.
      await page.goto(acceptUrl);
      const alert = page.getByRole('alert').filter({ hasText: 'This invitation has already been accepted' });
      await alert.waitFor();
      expect(await alert.textContent()).toContain(
        'An admin of the organization can send you a new invitation link',
      );
      await screenshot(page, 'invitation-used');
    } finally {
      await other.close();
    }
  });

  it('shows a readable message for an expired invitation link, and the admin can cancel it', async () => {
    const invitee = person('Late');
    const late = await invite(invitee.email);
    // Time cannot be moved through the API: the fixture ages the invitation in its own database.
    execFileSync('psql', [
      databaseUrl(stack.fleet.db),
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = '${late.invitation.id}'`,
    ]);
    const other = await browser.newContext({ viewport: VIEWPORT });
    try {
      const page = await other.newPage();
      await page.goto(late.acceptUrl);
      const alert = page.getByRole('alert').filter({ hasText: /This invitation has expired/ });
      await alert.waitFor();
      expect(await alert.textContent()).toContain(
        'An admin of the organization can send you a new invitation link',
      );
      await screenshot(page, 'invitation-expired');
    } finally {
      await other.close();
    }

    const handle = invitee.email.split('@')[0] ?? '';
    await admin.goto(`${stack.url}/users?search=${handle}`);
    const row = admin.getByRole('row', { name: new RegExp(invitee.email) });
    await row.getByText('Invitation expired').waitFor();
    expect(admin.url()).toContain(`search=${handle}`);
    await row.getByRole('button', { name: /Cancel invitation/ }).click();
    const confirm = dialog(admin, 'Cancel invitation');
    await confirm.getByRole('button', { name: 'Cancel invitation' }).click();
    await admin.getByText('No users match').waitFor();
    expect(await findUser(invitee.email)).toBeUndefined();
  });

  it('keeps a member out of admin pages', async () => {
    const member = reader.page;
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
    await member.goto(`${stack.url}/users/${reader.id}`);
    await member.getByRole('heading', { name: reader.name, level: 1 }).waitFor();
    await member.getByRole('heading', { name: 'Rate Limit' }).waitFor();
    expect(await member.getByRole('button', { name: /Edit/ }).count()).toBe(0);
    expect(await member.getByRole('button', { name: 'Add grant' }).count()).toBe(0);
    expect(await member.getByRole('button', { name: 'Suspend' }).count()).toBe(0);
    await screenshot(member, 'user-detail-self');
    // Someone else's page is not.
    await member.goto(`${stack.url}/users/${adminId}`);
    await member.getByRole('heading', { name: 'Admins only' }).waitFor();
  });

  it('lists a new member as active and opens their detail', async () => {
    const member = await newMember('Nora');
    const handle = member.email.split('@')[0] ?? '';
    await admin.goto(`${stack.url}/users`);
    await admin.getByRole('row', { name: new RegExp(FULL_ADMIN.email) }).waitFor();
    // The search goes to the URL (a reload or a shared link shows the same list) and to the API.
    await fillChecked(admin.getByLabel('Search'), handle);
    await admin.waitForURL(new RegExp(`/users\\?search=${handle}$`));
    await admin.getByRole('row', { name: new RegExp(FULL_ADMIN.email) }).waitFor({ state: 'detached' });
    const row = admin.getByRole('row', { name: new RegExp(member.email) });
    await row.getByText('Active').waitFor();
    await row.getByRole('link', { name: member.name }).click();
    await admin.waitForURL(new RegExp(`/users/${member.id}$`));
    await admin.getByRole('heading', { name: member.name, level: 1 }).waitFor();
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

  it('edits the rate limit (API errors under the field)', async () => {
    const member = await newMember('Rita');
    await admin.goto(`${stack.url}/users/${member.id}`);
    await admin.getByRole('heading', { name: member.name, level: 1 }).waitFor();
    await admin.getByRole('button', { name: 'Edit rate limit' }).click();
    const modal = dialog(admin, /Edit rate limit/);
    await modal.waitFor();
    await fillChecked(modal.getByLabel('Requests per minute'), '120');
    await fillChecked(modal.getByLabel('Tokens per minute', { exact: true }), '50000');
    await fillChecked(modal.getByLabel('Concurrent requests'), '1.5');
    await modal.getByRole('button', { name: 'Save rate limit' }).click();
    await modal.getByText('must be a whole number').waitFor();
    expect(await modal.getByLabel('Requests per minute').inputValue()).toBe('120');
    await screenshot(admin, 'user-rate-limit-modal');
    await fillChecked(modal.getByLabel('Concurrent requests'), '');
    await modal.getByRole('button', { name: 'Save rate limit' }).click();
    await modal.waitFor({ state: 'hidden' });

    const limits = await api<LimitsBody>('GET', `${org()}/users/${member.id}/limits`);
    expect(limits.requestsPerMinute).toBe(120);
    expect(limits.tokensPerMinute).toBe(50000);
    expect(limits.concurrentRequests).toBeNull();
    const card = admin.getByRole('region', { name: 'Rate Limit' });
    await card.getByText('120', { exact: true }).waitFor();
  });

  it('adds a budget, keeping the rate limit, and a later rate-limit edit keeps the budget', async () => {
    const member = await newMember('Bea');
    await api('PUT', `${org()}/users/${member.id}/limits`, { requestsPerMinute: 120, budgets: [] });
    await admin.goto(`${stack.url}/users/${member.id}`);
    await admin.getByRole('region', { name: 'Rate Limit' }).getByText('120', { exact: true }).waitFor();
    await admin.getByRole('button', { name: 'Edit budget limit' }).click();
    const modal = dialog(admin, /Edit budgets/);
    await modal.waitFor();
    await modal.getByRole('button', { name: 'Add budget' }).click();
    // The API's 400 names each bad field; the messages land under those inputs, the typing stays.
    await fillChecked(modal.getByLabel('Limit (USD)'), '-5');
    await fillChecked(modal.getByLabel('Alert thresholds (%)'), '50, 150');
    await modal.getByRole('button', { name: 'Save budgets' }).click();
    await modal.getByText('must be greater than 0').waitFor();
    await modal.getByText('must be at most 100').waitFor();
    expect(await modal.getByLabel('Alert thresholds (%)').inputValue()).toBe('50, 150');
    await screenshot(admin, 'user-budget-modal-error');
    expect((await api<LimitsBody>('GET', `${org()}/users/${member.id}/limits`)).budgets).toEqual([]);

    await fillChecked(modal.getByLabel('Limit (USD)'), '25');
    await modal.getByLabel('Period').selectOption('monthly');
    await fillChecked(modal.getByLabel('Alert thresholds (%)'), '50, 80, 100');
    await screenshot(admin, 'user-budget-modal');
    await modal.getByRole('button', { name: 'Save budgets' }).click();
    await modal.waitFor({ state: 'hidden' });
    await admin
      .getByRole('region', { name: 'Budget Limit' })
      .getByText(/\$25\.00 monthly/)
      .waitFor();

    let limits = await api<LimitsBody>('GET', `${org()}/users/${member.id}/limits`);
    expect(limits.budgets).toEqual([
      expect.objectContaining({ limitUsd: 25, period: 'monthly', alertThresholds: [50, 80, 100] }),
    ]);
    expect(limits.requestsPerMinute).toBe(120);

    // The PUT replaces the whole policy: editing the rate limit must send the budget back.
    await admin.getByRole('button', { name: 'Edit rate limit' }).click();
    const rate = dialog(admin, /Edit rate limit/);
    expect(await rate.getByLabel('Requests per minute').inputValue()).toBe('120');
    await fillChecked(rate.getByLabel('Requests per minute'), '100');
    await rate.getByRole('button', { name: 'Save rate limit' }).click();
    await rate.waitFor({ state: 'hidden' });
    limits = await api<LimitsBody>('GET', `${org()}/users/${member.id}/limits`);
    expect(limits.requestsPerMinute).toBe(100);
    expect(limits.budgets).toHaveLength(1);
    expect(limits.budgets[0]?.limitUsd).toBe(25);
  });

  it('adds a grant for demo-gpt and revokes it', async () => {
    const member = await newMember('Gus');
    await admin.goto(`${stack.url}/users/${member.id}`);
    const card = admin.getByRole('region', { name: 'Model Access Grants' });
    await card.getByText('No models granted.').waitFor();
    await card.getByRole('button', { name: 'Add grant' }).click();
    const modal = dialog(admin, /Add grant/);
    await modal.getByLabel('Model').selectOption('demo-gpt');
    expect(await modal.getByLabel('Model').inputValue()).toBe('demo-gpt');
    await screenshot(admin, 'user-add-grant-modal');
    await modal.getByRole('button', { name: 'Add grant' }).click();
    await modal.waitFor({ state: 'hidden' });
    await card.getByText('demo-gpt').waitFor();
    let grants = await api<{ data: { model: string }[] }>('GET', `${org()}/users/${member.id}/grants`);
    expect(grants.data.map((g) => g.model)).toEqual(['demo-gpt']);
    await admin
      .getByRole('region', { name: 'Effective policy' })
      .getByText(/granted models.*demo-gpt/)
      .waitFor();

    await card.getByRole('button', { name: 'Revoke demo-gpt' }).click();
    const confirm = dialog(admin, 'Revoke model access');
    await confirm.waitFor();
    await screenshot(admin, 'user-revoke-grant');
    await confirm.getByRole('button', { name: 'Revoke access' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await card.getByText('No models granted.').waitFor();
    grants = await api<{ data: { model: string }[] }>('GET', `${org()}/users/${member.id}/grants`);
    expect(grants.data).toEqual([]);
  });

  it('suspends and reactivates a member', async () => {
    const member = await newMember('Sam');
    await admin.goto(`${stack.url}/users/${member.id}`);
    await admin.getByRole('heading', { name: member.name, level: 1 }).waitFor();
    await admin.getByRole('button', { name: 'Suspend', exact: true }).click();
    const confirm = dialog(admin, /Suspend/);
    await confirm.waitFor();
    await screenshot(admin, 'user-suspend-confirm');
    await confirm.getByRole('button', { name: 'Suspend' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await admin.getByRole('button', { name: 'Reactivate', exact: true }).waitFor();
    expect((await api<Row>('GET', `${org()}/users/${member.id}`)).status).toBe('suspended');

    await admin.goto(`${stack.url}/users?status=suspended`);
    const row = admin.getByRole('row', { name: new RegExp(member.email) });
    await row.getByText('Suspended').waitFor();
    await row.getByRole('link', { name: member.name }).click();
    await admin.getByRole('heading', { name: member.name, level: 1 }).waitFor();
    await admin.getByRole('button', { name: 'Reactivate', exact: true }).click();
    const back = dialog(admin, /Reactivate/);
    await back.getByRole('button', { name: 'Reactivate' }).click();
    await back.waitFor({ state: 'hidden' });
    await admin.getByRole('button', { name: 'Suspend', exact: true }).waitFor();
    expect((await api<Row>('GET', `${org()}/users/${member.id}`)).status).toBe('active');
  });

  it('explains why the only admin cannot demote themself', async () => {
    // In an organization of its own, where the bootstrap admin is the only admin by construction.
    const orgId = await newOrganization(stack);
    await openInOrganization(elsewhere, stack.url, orgId, `/users/${adminId}`);
    await elsewhere.getByRole('heading', { name: 'Membership' }).waitFor();
    await elsewhere.getByLabel('Role').selectOption('member');
    await elsewhere.getByRole('button', { name: 'Change role' }).click();
    const alert = elsewhere.getByRole('region', { name: 'Membership' }).getByRole('alert');
    await alert.getByText(/last admin of the organization/).waitFor();
    await screenshot(elsewhere, 'user-last-admin');
    expect((await api<Row>('GET', `/orgs/${orgId}/users/${adminId}`)).role).toBe('admin');
  });

  it('shows an organization without groups how to create the first one', async () => {
    await openInOrganization(elsewhere, stack.url, await newOrganization(stack), '/groups');
    await elsewhere.getByRole('heading', { name: 'No groups yet' }).waitFor();
    expect(await elsewhere.getByRole('button', { name: 'Create group' }).count()).toBe(2);
    await screenshot(elsewhere, 'groups-empty');
  });

  it('creates a group, adds a member and sets a group limit', async () => {
    const member = await newMember('Pat');
    const groupName = unique('Platform team');
    await admin.goto(`${stack.url}/groups`);
    await admin.getByRole('heading', { name: 'Groups', level: 1 }).waitFor();
    await admin.getByRole('button', { name: 'Create group' }).first().click();
    const create = dialog(admin, 'Create group');
    await fillChecked(create.getByLabel('Group name'), groupName);
    await screenshot(admin, 'groups-create-modal');
    await create.getByRole('button', { name: 'Create group' }).click();
    await admin.getByRole('heading', { name: groupName, level: 1 }).waitFor();
    const groupId = admin.url().split('/groups/')[1] ?? '';
    expect(groupId).not.toBe('');

    await admin.getByRole('button', { name: 'Add member' }).click();
    const add = dialog(admin, /Add member to/);
    await add.getByLabel('Member').selectOption({ label: `${member.name} (${member.email})` });
    expect(await add.getByLabel('Member').inputValue()).toBe(member.id);
    await add.getByRole('button', { name: 'Add member' }).click();
    await add.waitFor({ state: 'hidden' });
    await admin.getByRole('region', { name: 'Members' }).getByText(member.email).waitFor();

    await admin.getByRole('button', { name: 'Edit rate limit' }).click();
    const rate = dialog(admin, /Edit rate limit/);
    await fillChecked(rate.getByLabel('Requests per minute'), '30');
    await rate.getByRole('button', { name: 'Save rate limit' }).click();
    await rate.waitFor({ state: 'hidden' });
    await screenshot(admin, 'group-detail');

    const group = await api<{ members: { id: string }[] }>('GET', `${org()}/groups/${groupId}`);
    expect(group.members.map((m) => m.id)).toEqual([member.id]);
    const limits = await api<LimitsBody>('GET', `${org()}/groups/${groupId}/limits`);
    expect(limits.requestsPerMinute).toBe(30);

    // The member's effective policy now names the group as the strictest requests/min rule.
    await admin.goto(`${stack.url}/users/${member.id}`);
    const effective = admin.getByRole('region', { name: 'Effective policy' });
    const rpm = effective.getByRole('row', { name: /Requests per minute/ });
    await rpm.getByRole('link', { name: groupName }).waitFor();
    expect(await rpm.textContent()).toContain('30');
  });

  it('refuses a duplicate group name under the field, and renames a group from the list', async () => {
    const groupName = unique('Platform team');
    const renamed = unique('Platform squad');
    const group = await api<{ id: string }>('POST', `${org()}/groups`, { name: groupName });
    await admin.goto(`${stack.url}/groups`);
    await admin.getByRole('link', { name: groupName }).waitFor();
    await admin.getByRole('button', { name: 'Create group' }).first().click();
    const again = dialog(admin, 'Create group');
    await fillChecked(again.getByLabel('Group name'), groupName);
    await again.getByRole('button', { name: 'Create group' }).click();
    await again.getByText('is already used by another group').waitFor();
    expect(await again.getByLabel('Group name').inputValue()).toBe(groupName);
    await again.getByRole('button', { name: 'Cancel' }).click();
    await again.waitFor({ state: 'hidden' });

    await admin.getByRole('button', { name: `Rename ${groupName}` }).click();
    const rename = dialog(admin, /Rename/);
    await fillChecked(rename.getByLabel('Group name'), renamed);
    await rename.getByRole('button', { name: 'Rename' }).click();
    await rename.waitFor({ state: 'hidden' });
    await admin.getByRole('link', { name: renamed }).waitFor();
    expect((await api<{ name: string }>('GET', `${org()}/groups/${group.id}`)).name).toBe(renamed);
    await screenshot(admin, 'groups-list');
  });

  it('shows a member their groups, read-only', async () => {
    const groupName = unique('Readers');
    const group = await api<{ id: string }>('POST', `${org()}/groups`, { name: groupName });
    await api('PUT', `${org()}/groups/${group.id}/members/${reader.id}`);
    await reader.page.goto(`${stack.url}/groups`);
    await reader.page.getByRole('link', { name: groupName }).waitFor();
    expect(await reader.page.getByRole('button', { name: 'Create group' }).count()).toBe(0);
  });

  it('deletes a group after confirmation', async () => {
    const groupName = unique('Short-lived');
    const temp = await api<{ id: string }>('POST', `${org()}/groups`, { name: groupName });
    await admin.goto(`${stack.url}/groups`);
    await admin.getByRole('button', { name: `Delete ${groupName}` }).click();
    const confirm = dialog(admin, 'Delete group');
    await confirm.waitFor();
    await screenshot(admin, 'groups-delete-confirm');
    await confirm.getByRole('button', { name: 'Delete group' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await admin.getByRole('link', { name: groupName }).waitFor({ state: 'detached' });
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
  });
});
