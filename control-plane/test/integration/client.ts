import { readFileSync } from 'node:fs';
import { type ApiResponse, checkAnswersFrom, type RequestOptions, request } from '@portcullis/testing/rest';
import { waitFor } from '@portcullis/testing/wait';
import { inject } from 'vitest';
import { BOOTSTRAP } from './global-setup';

export type { ApiResponse, ErrorBody } from '@portcullis/testing/rest';

export const baseUrl = () => inject('baseUrl');

// Every answer of the whole suite is checked against the shared route table.
checkAnswersFrom(baseUrl());

/** Every response body any test received, so a test can count where a secret appeared. */
export const seenBodies: string[] = [];

export async function api<T = unknown>(
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const res = await request<T>(method, `${baseUrl()}${path}`, opts);
  seenBodies.push(res.text);
  return res;
}

/**
 * The control plane's log once it holds the line of the request `res` answered; the process writes its
 * lines in order, so every request this test awaited before is there too.
 */
export function logThrough(res: ApiResponse): Promise<string> {
  const id = res.headers.get('x-request-id');
  if (!id) throw new Error('the answer carries no x-request-id');
  return waitFor(() => {
    const logs = readFileSync(inject('logFile'), 'utf8');
    return logs.includes(`"requestId":"${id}"`) ? logs : undefined;
  }, `the log line of request ${id}`);
}

export interface SignedIn {
  token: string;
  user: { id: string; email: string; name: string };
  organizations: { id: string; name: string; role: string }[];
}

export async function login(email: string, password: string, ip?: string): Promise<SignedIn> {
  const res = await api<SignedIn>('POST', '/api/v1/auth/login', {
    body: { email, password },
    headers: ip ? { 'x-forwarded-for': ip } : {},
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return res.body;
}

export const loginBootstrap = () => login(BOOTSTRAP.email, BOOTSTRAP.password);

let counter = 0;
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** A fresh organization administered by a fresh user (invited by the bootstrap admin, then accepted). */
export async function newOrg(): Promise<{ orgId: string; admin: SignedIn }> {
  const root = await loginBootstrap();
  const org = await api<{ id: string }>('POST', '/api/v1/orgs', {
    token: root.token,
    body: { name: unique('org') },
  });
  if (org.status !== 201) throw new Error(`org create failed: ${org.text}`);
  const admin = await addMember(org.body.id, root.token, 'admin');
  // The bootstrap admin leaves the picture: tests act as this org's own admin.
  return { orgId: org.body.id, admin };
}

/** `newOrg` with a plain member added by its admin. */
export async function newOrgWithMember(): Promise<{ orgId: string; admin: SignedIn; member: SignedIn }> {
  const { orgId, admin } = await newOrg();
  const member = await addMember(orgId, admin.token, 'member');
  return { orgId, admin, member };
}

/** One page of a cursor-paginated list. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Invites a new email into the org with `role` and accepts; returns the new user's session. */
export async function addMember(
  orgId: string,
  adminToken: string,
  role: 'admin' | 'member',
): Promise<SignedIn> {
  const email = `${unique(role)}@example.test`;
  const inv = await api<{ acceptUrl: string }>('POST', `/api/v1/orgs/${orgId}/invitations`, {
    token: adminToken,
    body: { email, role },
  });
  if (inv.status !== 201) throw new Error(`invite failed: ${inv.text}`);
  const token = inv.body.acceptUrl.split('/').pop() ?? '';
  const accepted = await api<SignedIn>('POST', `/api/v1/invitations/${token}/accept`, {
    body: { name: `User ${email}`, password: 'member-password-1' },
  });
  if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.text}`);
  return { ...accepted.body, organizations: [] };
}

export async function createKey(
  orgId: string,
  token: string,
  body: Record<string, unknown> = {},
): Promise<{
  key: { id: string; prefix: string; status: string; ownerId: string; name: string };
  secret: string;
}> {
  const res = await api<{
    key: { id: string; prefix: string; status: string; ownerId: string; name: string };
    secret: string;
  }>('POST', `/api/v1/orgs/${orgId}/keys`, { token, body: { name: unique('key'), ...body } });
  if (res.status !== 201) throw new Error(`key create failed: ${res.status} ${res.text}`);
  return res.body;
}
