import { setTimeout as sleep } from 'node:timers/promises';
import type { Fleet } from '@portcullis/testing/fleet';
import { eventually } from '@portcullis/testing/wait';

/** Members, keys and calls for the people-policy end-to-end tests, all through the public APIs. */

export interface Member {
  id: string;
  token: string;
}

export const MESSAGES = [{ role: 'user', content: 'hi' }];

/** Invites a member and accepts the invitation as they would (a session of their own). */
export async function invite(fleet: Fleet, role: 'admin' | 'member'): Promise<Member> {
  const email = `${role}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@people.test`;
  const inv = await fleet.api<{ acceptUrl: string }>('POST', `/orgs/${fleet.orgId}/invitations`, {
    email,
    role,
  });
  const token = inv.acceptUrl.split('/').pop() ?? '';
  const res = await fetch(`${fleet.cpUrl}/api/v1/invitations/${token}/accept`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: `User ${email}`, password: 'people-password-1' }),
  });
  const body = (await res.json()) as { token: string; user: { id: string } };
  if (res.status !== 200) throw new Error(`accept: ${res.status} ${JSON.stringify(body)}`);
  return { id: body.user.id, token: body.token };
}

/** A key for `ownerId` (made by the admin); its secret. */
export async function keyFor(
  fleet: Fleet,
  ownerId: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const made = await fleet.api<{ secret: string }>('POST', `/orgs/${fleet.orgId}/keys`, {
    name: `k-${Math.random().toString(36).slice(2, 8)}`,
    ownerId,
    ...extra,
  });
  return made.secret;
}

export interface Answer {
  status: number;
  code: string | null;
  message: string;
  headers: Headers;
}

/** One chat call at gateway `gateway` (an index into the fleet), read to the end. */
export async function chat(
  fleet: Fleet,
  gateway: number,
  secret: string,
  model: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const g = fleet.gateways[gateway];
  const res = await fetch(`${g?.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, messages: MESSAGES, max_tokens: 6 }),
  });
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return {
    status: res.status,
    code: body.error?.code ?? null,
    message: body.error?.message ?? '',
    headers: res.headers,
  };
}

/** True once every gateway knows the key (a model-less call, which neither limits nor spends). */
export async function known(fleet: Fleet, secret: string): Promise<void> {
  for (const g of fleet.gateways) {
    await eventually(async () => {
      const res = await fetch(`${g.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
      return res.status === 200;
    });
  }
}

/** Keeps a run clear of a minute boundary (the previous minute's weight would blur exact counts). */
export async function awayFromMinuteEdge(spanMs: number): Promise<void> {
  const into = Date.now() % 60_000;
  if (into + spanMs > 58_000) await sleep(60_000 - into + 50);
}
