import { setTimeout as sleep } from 'node:timers/promises';
import type { Fleet } from '@portcullis/testing/fleet';
import { chatAt } from '@portcullis/testing/gateway-calls';
import { eventually } from '@portcullis/testing/wait';

/** Members, keys and calls for the people-policy end-to-end tests, all through the public APIs. */

export const MESSAGES = [{ role: 'user', content: 'hi' }];

/** A key for `ownerId` (made by the admin); its secret. */
export async function keyFor(
  fleet: Fleet,
  ownerId: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  return (await fleet.addKey({ ownerId, ...extra })).secret;
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
  const a = await chatAt(
    `${fleet.gateways[gateway]?.url}`,
    secret,
    { model, messages: MESSAGES, max_tokens: 6 },
    headers,
  );
  return { status: a.status, code: a.code, message: a.message ?? '', headers: a.headers };
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
