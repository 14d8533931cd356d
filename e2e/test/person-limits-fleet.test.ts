import { setTimeout as sleep } from 'node:timers/promises';
import { Fleet } from '@portcullis/testing/fleet';
import { eventually } from '@portcullis/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, awayFromMinuteEdge, chat, keyFor, known, MESSAGES } from './people.js';

// A user's and a group's rate limits hold across all their keys and all gateways: real processes (a
// private redis-server, the control plane, three gateways, the fake upstream), limits set through the
// control plane's REST API, calls made as a client would.
//
// Paced checks leave 300 ms between two calls, three exchange intervals (limiter.ts): each gateway
// has read what the others counted unless its exchanges stall. Counting per key instead of per person
// (what these tests guard against) would admit three times the limit.
const GATEWAYS = 3;
const PACE_MS = 300;
/** A stalled exchange on each other gateway lets one more through (limiter.ts, paced overshoot). */
const PACED_SLACK = GATEWAYS - 1;
const fleet = new Fleet();
const org = (p: string) => `/orgs/${fleet.orgId}${p}`;
/** 6 words answered, so 6 output tokens; the prompt is 8 input tokens (32 JSON chars / 4). */
const WORDS = 6;
const INPUT_TOKENS = 8;

/** A member with `limits` (PUT …/users/:id/limits), allowed every model, and `n` keys every gateway knows. */
async function memberWithKeys(
  limits: Record<string, number>,
  n: number,
  keyExtra: Record<string, unknown> = {},
): Promise<{ id: string; keys: string[] }> {
  const m = await fleet.invite('member');
  if (Object.keys(limits).length > 0) await fleet.api('PUT', org(`/users/${m.id}/limits`), limits);
  const keys: string[] = [];
  for (let i = 0; i < n; i++) keys.push(await keyFor(fleet, m.id, keyExtra));
  // Created after the limits: a gateway that knows the key has applied the limits too (deltas in order).
  for (const k of keys) await known(fleet, k);
  return { id: m.id, keys };
}

/**
 * `attempts` calls paced `PACE_MS` apart, call i at gateway i mod 3 with key ⌊i / 3⌋ mod 3, so every
 * key meets every gateway.
 */
async function paced(keys: string[], attempts: number): Promise<Answer[]> {
  const out: Answer[] = [];
  for (let i = 0; i < attempts; i++) {
    const key = keys[Math.floor(i / GATEWAYS) % keys.length] as string;
    out.push(await chat(fleet, i % GATEWAYS, key, 'alpha'));
    await sleep(PACE_MS);
  }
  return out;
}

const admitted = (answers: Answer[]) => answers.filter((a) => a.status === 200).length;

/** Every key at every gateway is refused with `message` (once the last exchanges are in). */
async function refusedEverywhere(keys: string[], message: string): Promise<void> {
  for (let g = 0; g < GATEWAYS; g++)
    for (const k of keys)
      await eventually(async () => {
        const a = await chat(fleet, g, k, 'alpha');
        return a.status === 429 && a.message === message;
      });
}

beforeAll(async () => {
  await fleet.start(GATEWAYS);
  await fleet.addFakeModel('alpha', { inputPricePerMTok: 1, outputPricePerMTok: 1 });
  // Members need no grants here: model access is not what these tests are about.
  await fleet.api('PATCH', org('/settings'), { modelAccessWithoutGrants: 'all' });
}, 120_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

describe("a user's limits across three keys and three gateways", () => {
  it('requests/min: a member limited to 6 gets 6 in total, then every key is refused at every gateway', async () => {
    const limit = 6;
    const { keys } = await memberWithKeys({ requestsPerMinute: limit }, 3);
    await awayFromMinuteEdge(20_000);
    const answers = await paced(keys, 15);
    const n = admitted(answers);
    console.log(`person requests/min across 3 keys × 3 gateways, paced: ${n} admitted of limit ${limit}`);
    expect(n).toBeGreaterThanOrEqual(limit);
    expect(n).toBeLessThanOrEqual(limit + PACED_SLACK);
    expect(answers.slice(0, limit).every((a) => a.status === 200)).toBe(true);
    await refusedEverywhere(keys, "Rate limit exceeded: requests per minute of the key's owner");
  }, 120_000);

  it('input and output tokens/min count all the keys together', async () => {
    // 8 input tokens a call: 3 calls fill 24.
    const input = await memberWithKeys({ inputTokensPerMinute: 3 * INPUT_TOKENS }, 3);
    await awayFromMinuteEdge(20_000);
    const inAnswers = await paced(input.keys, 9);
    expect(admitted(inAnswers)).toBeGreaterThanOrEqual(3);
    expect(admitted(inAnswers)).toBeLessThanOrEqual(3 + PACED_SLACK);
    await refusedEverywhere(input.keys, "Rate limit exceeded: input tokens per minute of the key's owner");

    // 6 output tokens a call: 3 calls fill 18.
    const output = await memberWithKeys({ outputTokensPerMinute: 3 * WORDS }, 3);
    await awayFromMinuteEdge(20_000);
    const outAnswers = await paced(output.keys, 9);
    expect(admitted(outAnswers)).toBeGreaterThanOrEqual(3);
    expect(admitted(outAnswers)).toBeLessThanOrEqual(3 + PACED_SLACK);
    await refusedEverywhere(output.keys, "Rate limit exceeded: output tokens per minute of the key's owner");
  }, 120_000);

  it('concurrency: slow streams on different keys at different gateways share the 2 slots', async () => {
    const { keys } = await memberWithKeys({ concurrentRequests: 2 }, 3);
    const [k0, k1, k2] = keys as [string, string, string];
    const open = (gateway: number, secret: string) =>
      fetch(`${fleet.gateways[gateway]?.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${secret}`,
          'content-type': 'application/json',
          'x-fake-latency-ms': '8000',
        },
        body: JSON.stringify({ model: 'alpha', messages: MESSAGES, stream: true }),
      });
    // Every gateway has served the user once (a gateway that has never seen a scope counts from zero
    // until its first exchange, limiter.ts): the slots below are then known fleet-wide.
    for (let g = 0; g < GATEWAYS; g++) expect((await chat(fleet, g, k2, 'alpha')).status).toBe(200);
    await sleep(PACE_MS);
    const first = await open(0, k0);
    await sleep(PACE_MS);
    const second = await open(1, k1);
    expect([first.status, second.status]).toEqual([200, 200]);
    await sleep(PACE_MS);
    const third = await chat(fleet, 2, k2, 'alpha');
    expect(third.status).toBe(429);
    expect(third.message).toBe("Rate limit exceeded: concurrent requests of the key's owner");
    // Once a stream ends its slot is free again, wherever it was held.
    await first.text();
    await eventually(async () => (await chat(fleet, 2, k2, 'alpha')).status === 200);
    await second.text();
  }, 120_000);
});

describe('groups and keys across the fleet', () => {
  it("a group's limit is shared by two members' keys; a key's own limit stays per key", async () => {
    const group = await fleet.api<{ id: string }>('POST', org('/groups'), { name: 'Shared' });
    await fleet.api('PUT', org(`/groups/${group.id}/limits`), { requestsPerMinute: 4 });
    const a = await fleet.invite('member');
    const b = await fleet.invite('member');
    await fleet.api('PUT', org(`/groups/${group.id}/members/${a.id}`));
    await fleet.api('PUT', org(`/groups/${group.id}/members/${b.id}`));
    const keys = [await keyFor(fleet, a.id), await keyFor(fleet, b.id), await keyFor(fleet, b.id)];
    for (const k of keys) await known(fleet, k);
    await awayFromMinuteEdge(20_000);
    const answers = await paced(keys, 9);
    expect(admitted(answers)).toBeGreaterThanOrEqual(4);
    expect(admitted(answers)).toBeLessThanOrEqual(4 + PACED_SLACK);
    await refusedEverywhere(keys, 'Rate limit exceeded: requests per minute of the group "Shared"');

    // Two keys of one owner with no person limits: 2/min each, not 2 between them.
    const own = await memberWithKeys({}, 2, { limits: { requestsPerMinute: 2 } });
    await awayFromMinuteEdge(20_000);
    const [p, q] = own.keys as [string, string];
    const onP = await paced([p], 6);
    const onQ = await paced([q], 6);
    expect(admitted(onP)).toBeGreaterThanOrEqual(2);
    expect(admitted(onQ)).toBeGreaterThanOrEqual(2);
    expect(admitted(onP)).toBeLessThanOrEqual(2 + PACED_SLACK);
    expect(onP.find((x) => x.status === 429)?.message).toBe(
      'Rate limit exceeded: requests per minute of this key',
    );
  }, 120_000);
});

describe('a parallel burst across keys and gateways', () => {
  /** 150 calls at once, 50 per gateway spread over the 3 keys; how many were admitted. */
  async function burst(keys: string[]): Promise<number> {
    const calls: Promise<Answer>[] = [];
    for (let i = 0; i < 150; i++)
      calls.push(chat(fleet, i % GATEWAYS, keys[Math.floor(i / GATEWAYS) % keys.length] as string, 'alpha'));
    const answers = await Promise.all(calls);
    for (const a of answers) if (a.status !== 200) expect(a.code).toBe('rate_limit_exceeded');
    return admitted(answers);
  }

  it('stays within the stated overshoot: warm and cold, limit 30/min of the user', async () => {
    const limit = 30;
    // Warm: every gateway has served this user (one call each) and exchanged before the burst.
    const warm = await memberWithKeys({ requestsPerMinute: limit }, 3);
    await awayFromMinuteEdge(10_000);
    for (let g = 0; g < GATEWAYS; g++)
      expect((await chat(fleet, g, warm.keys[g] as string, 'alpha')).status).toBe(200);
    await sleep(PACE_MS);
    const warmAdmitted = GATEWAYS + (await burst(warm.keys));
    // Cold: no gateway has counted anything for this user before the burst.
    const cold = await memberWithKeys({ requestsPerMinute: limit }, 3);
    await awayFromMinuteEdge(10_000);
    const coldAdmitted = await burst(cold.keys);
    console.log(
      `person requests/min burst, 3 gateways × 3 keys, 150 calls, limit ${limit}/min: warm ${warmAdmitted} admitted (+${warmAdmitted - limit}), cold ${coldAdmitted} (+${coldAdmitted - limit})`,
    );
    // Stated bound (limiter.ts): what the other gateways admit before they see each other, ≤ (N − 1) × limit.
    for (const n of [warmAdmitted, coldAdmitted]) {
      expect(n).toBeGreaterThanOrEqual(limit);
      expect(n).toBeLessThanOrEqual(GATEWAYS * limit);
    }
    await refusedEverywhere(warm.keys, "Rate limit exceeded: requests per minute of the key's owner");
    await refusedEverywhere(cold.keys, "Rate limit exceeded: requests per minute of the key's owner");
  }, 120_000);

  it('concurrency: 18 parallel slow streams over 3 keys × 3 gateways against 2 slots of the user', async () => {
    const { keys } = await memberWithKeys({ concurrentRequests: 2 }, 3);
    const controller = new AbortController();
    const opened = await Promise.all(
      Array.from({ length: 18 }, (_, i) =>
        fetch(`${fleet.gateways[i % GATEWAYS]?.url}/v1/chat/completions`, {
          method: 'POST',
          signal: controller.signal,
          headers: {
            authorization: `Bearer ${keys[Math.floor(i / GATEWAYS) % keys.length]}`,
            'content-type': 'application/json',
            'x-fake-latency-ms': '4000',
          },
          body: JSON.stringify({ model: 'alpha', messages: MESSAGES, stream: true }),
        }),
      ),
    );
    const streams = opened.filter((r) => r.status === 200).length;
    for (const r of opened) if (r.status !== 200) await r.body?.cancel();
    console.log(`person concurrency burst, 3 gateways × 3 keys, 18 streams, limit 2: ${streams} admitted`);
    // Each gateway admits at most the limit on its own count: ≤ N × limit fleet-wide in a burst.
    expect(streams).toBeGreaterThanOrEqual(2);
    expect(streams).toBeLessThanOrEqual(GATEWAYS * 2);
    controller.abort();
  }, 120_000);
});
