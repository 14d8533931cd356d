import { randomUUID } from 'node:crypto';
import type { Limits } from '@portcullis/shared/api-keys';
import type {
  SnapshotChange,
  SnapshotGroup,
  SnapshotKey,
  SnapshotUserPolicy,
} from '@portcullis/shared/snapshot';
import { type FakeUpstream, startFakeUpstream } from '@portcullis/testing/fake-upstream';
import { chatAt } from '@portcullis/testing/gateway-calls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/rate-limit/limiter.js';
import type { SnapshotStore } from '../src/snapshot/store.js';
import {
  deltaSender,
  ephemeralToken,
  limitsOf,
  loopbackUpstream,
  type ServedGateway,
  SnapshotBuilder,
  serveGateway,
} from './helpers.js';

// Limits that belong to a person (a user's, a group's) hold across all their keys, at one gateway on a
// real port: the snapshot is built here, people and keys arrive as the control plane's deltas would,
// and clients see it over HTTP. The limiter's clock is frozen mid-minute, so every count below is exact.

/** The fake answers 6 words: 6 output tokens; the prompt below is 8 input tokens (32 JSON chars / 4). */
const WORDS = 6;
const INPUT_TOKENS = 8;
const MESSAGES = [{ role: 'user', content: 'hi' }];
const NOW = Date.UTC(2030, 0, 15, 12, 0, 30);

let upstream: FakeUpstream;
let served: ServedGateway;
let store: SnapshotStore;
let b: SnapshotBuilder;

let delta: ReturnType<typeof deltaSender>;

function user(l: Partial<Limits> = {}, groupIds: string[] = []): SnapshotUserPolicy {
  const u: SnapshotUserPolicy = {
    id: randomUUID(),
    name: 'Ada',
    role: 'member',
    grants: [],
    limits: limitsOf(l),
    budgets: [],
    groupIds,
  };
  delta({ op: 'upsert_user_policy', value: u });
  return u;
}

function group(name: string, l: Partial<Limits>): SnapshotGroup {
  const g: SnapshotGroup = { id: randomUUID(), name, grants: [], limits: limitsOf(l), budgets: [] };
  delta({ op: 'upsert_group', value: g });
  return g;
}

/** Keys of `owner` (with their own limits), pushed as the control plane pushes a new key. */
async function keys(owner: SnapshotUserPolicy, n: number, own: Partial<Limits> = {}) {
  const made = await Promise.all(
    Array.from({ length: n }, () => b.key({ ownerId: owner.id, limits: limitsOf(own) })),
  );
  delta(...made.map((k): SnapshotChange => ({ op: 'upsert_key', value: k.record })));
  return made;
}

interface Answer {
  status: number;
  code: string | null;
  message: string;
  headers: Headers;
}

async function chat(credential: string, extra: Record<string, unknown> = {}): Promise<Answer> {
  const a = await chatAt(served.url, credential, { model: 'gpt-4o-mini', messages: MESSAGES, ...extra });
  return { status: a.status, code: a.code, message: a.message ?? '', headers: a.headers };
}

/** Calls round-robin over `credentials`, `attempts` times; the statuses in order. */
async function roundRobin(credentials: string[], attempts: number): Promise<Answer[]> {
  const out: Answer[] = [];
  for (let i = 0; i < attempts; i++) out.push(await chat(credentials[i % credentials.length] as string));
  return out;
}

const admitted = (answers: Answer[]) => answers.filter((a) => a.status === 200).length;

beforeAll(async () => {
  upstream = await startFakeUpstream({ words: WORDS });
  b = new SnapshotBuilder();
  b.model('gpt-4o-mini', b.credential('openai', { baseUrl: `${upstream.url}/v1` }));
  store = b.store({ people: { settings: { modelAccessWithoutGrants: 'all' }, users: [], groups: [] } });
  delta = deltaSender(store, b.orgId, b.version);
  served = await serveGateway({
    store,
    trustedProxies: [],
    limiter: new RateLimiter({ redis: null, instanceId: 'person-limits', now: () => NOW }),
    upstream: loopbackUpstream(),
  });
}, 30_000);

afterAll(async () => {
  await served?.close();
  await upstream?.close();
});

describe("a user's limits hold across all their keys", () => {
  it('requests/min: a member limited to 5 with three keys gets 5 in total, then 429 naming the owner', async () => {
    const ada = user({ requestsPerMinute: 5 });
    const three = await keys(ada, 3);
    const answers = await roundRobin(
      three.map((k) => k.key),
      12,
    );
    expect(answers.map((a) => a.status)).toEqual([...Array(5).fill(200), ...Array(7).fill(429)]);
    const refused = answers[5] as Answer;
    expect(refused.code).toBe('rate_limit_exceeded');
    expect(refused.message).toBe("Rate limit exceeded: requests per minute of the key's owner");
    expect(refused.headers.get('x-ratelimit-limit-requests')).toBe('5');
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Each admitted answer counted down the one shared allowance.
    expect(answers.slice(0, 5).map((a) => a.headers.get('x-ratelimit-remaining-requests'))).toEqual([
      '4',
      '3',
      '2',
      '1',
      '0',
    ]);
  });

  it('input, output and total tokens/min count every key of the user together', async () => {
    // 8 input tokens a request: the 3rd fills 20, the 4th is refused.
    const inputs = await keys(user({ inputTokensPerMinute: 20 }), 3);
    const inAnswers = await roundRobin(
      inputs.map((k) => k.key),
      9,
    );
    expect(admitted(inAnswers)).toBe(Math.ceil(20 / INPUT_TOKENS));
    expect(inAnswers[3]?.message).toBe("Rate limit exceeded: input tokens per minute of the key's owner");

    // 6 output tokens a request: 0, 6 → admitted; 12 ≥ 12 → refused.
    const outputs = await keys(user({ outputTokensPerMinute: 2 * WORDS }), 3);
    const outAnswers = await roundRobin(
      outputs.map((k) => k.key),
      9,
    );
    expect(admitted(outAnswers)).toBe(2);
    expect(outAnswers[2]?.message).toBe("Rate limit exceeded: output tokens per minute of the key's owner");
    expect(outAnswers[2]?.headers.get('x-ratelimit-limit-output-tokens')).toBe(String(2 * WORDS));

    const totals = await keys(user({ tokensPerMinute: 3 * (INPUT_TOKENS + WORDS) - 1 }), 3);
    const totalAnswers = await roundRobin(
      totals.map((k) => k.key),
      9,
    );
    expect(admitted(totalAnswers)).toBe(3);
    expect(totalAnswers[3]?.message).toBe("Rate limit exceeded: tokens per minute of the key's owner");
  });

  it('concurrency: two slow streams on two keys fill a limit of 2; the third key waits for one to end', async () => {
    const three = await keys(user({ concurrentRequests: 2 }), 3);
    const open = (secret: string) =>
      fetch(`${served.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${secret}`,
          'x-fake-latency-ms': '3000',
        },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true }),
      });
    const [k0, k1, k2] = three.map((k) => k.key) as [string, string, string];
    const first = await open(k0);
    const second = await open(k1);
    expect([first.status, second.status]).toEqual([200, 200]);
    const busy = await chat(k2);
    expect(busy.status).toBe(429);
    expect(busy.message).toBe("Rate limit exceeded: concurrent requests of the key's owner");
    // The same key as an open stream is refused too: the slots are the user's.
    expect((await chat(k0)).status).toBe(429);
    await first.text();
    expect((await chat(k2)).status).toBe(200);
    await second.text();
  });

  it('an ephemeral token counts on the same scopes as its parent key', async () => {
    const ada = user({ requestsPerMinute: 3 });
    const [parent, other] = (await keys(ada, 2)) as [
      { key: string; record: SnapshotKey },
      { key: string; record: SnapshotKey },
    ];
    const made = await ephemeralToken(parent.record);
    delta({ op: 'upsert_ephemeral_token', value: made.record });
    const answers = await roundRobin([parent.key, made.token, other.key], 6);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429, 429]);
    expect(answers[4]?.message).toBe("Rate limit exceeded: requests per minute of the key's owner");
  });
});

describe('group limits, key limits and which scope refuses', () => {
  it("a group's requests/min is shared by its members' keys; a non-member is unaffected", async () => {
    const research = group('Research', { requestsPerMinute: 4 });
    const [a] = await keys(user({}, [research.id]), 1);
    const [b1, b2] = await keys(user({}, [research.id]), 2);
    const [outsider] = await keys(user(), 1);
    const answers = await roundRobin([a?.key, b1?.key, b2?.key] as string[], 9);
    expect(admitted(answers)).toBe(4);
    expect(answers[4]?.message).toBe('Rate limit exceeded: requests per minute of the group "Research"');
    expect((await chat(outsider?.key as string)).status).toBe(200);
  });

  it("a key's own limit still holds per key, and a request it refuses counts nowhere else", async () => {
    // Key limit 2 each, user limit 5: A takes 2 and is refused by its own limit (those refusals must
    // not eat the user's allowance), B takes 2, C takes the 5th, then the user's limit refuses.
    const [a, bb, cc] = (await keys(user({ requestsPerMinute: 5 }), 3, { requestsPerMinute: 2 })).map(
      (k) => k.key,
    ) as [string, string, string];
    const onA = await roundRobin([a], 4);
    expect(onA.map((x) => x.status)).toEqual([200, 200, 429, 429]);
    expect(onA[2]?.message).toBe('Rate limit exceeded: requests per minute of this key');
    expect((await roundRobin([bb], 2)).map((x) => x.status)).toEqual([200, 200]);
    const onC = await roundRobin([cc], 2);
    expect(onC.map((x) => x.status)).toEqual([200, 429]);
    expect(onC[1]?.message).toBe("Rate limit exceeded: requests per minute of the key's owner");

    // Without person limits, keys of one owner do not share: 2 each.
    const [p, q] = (await keys(user(), 2, { requestsPerMinute: 2 })).map((k) => k.key) as [string, string];
    expect(admitted(await roundRobin([p, q], 6))).toBe(4);
  });

  it('the x-ratelimit headers report the tightest remaining across scopes', async () => {
    const ada = user({ requestsPerMinute: 4 });
    const [loose] = await keys(ada, 1, { requestsPerMinute: 10 });
    const [plain] = await keys(ada, 1);
    await roundRobin([plain?.key as string], 2);
    // The key alone would leave 9; the owner's 4, of which 3 are now taken, leaves 1.
    const a = await chat(loose?.key as string);
    expect(a.status).toBe(200);
    expect(a.headers.get('x-ratelimit-limit-requests')).toBe('4');
    expect(a.headers.get('x-ratelimit-remaining-requests')).toBe('1');
  });
});

describe('changes pushed by the control plane apply at the next request', () => {
  it('raising and lowering a user limit, joining and leaving a limited group', async () => {
    const ada = user({ requestsPerMinute: 2 });
    const [k1, k2] = (await keys(ada, 2)).map((k) => k.key) as [string, string];
    expect((await roundRobin([k1, k2], 3)).map((x) => x.status)).toEqual([200, 200, 429]);

    delta({ op: 'upsert_user_policy', value: { ...ada, limits: limitsOf({ requestsPerMinute: 4 }) } });
    expect((await roundRobin([k2, k1, k2], 3)).map((x) => x.status)).toEqual([200, 200, 429]);

    delta({ op: 'upsert_user_policy', value: { ...ada, limits: limitsOf({ requestsPerMinute: 3 }) } });
    expect((await chat(k1)).status).toBe(429);

    // Without a user limit, a group joined now holds from the next request (it counts from there).
    const small = group('Small', { requestsPerMinute: 2 });
    delta({ op: 'upsert_user_policy', value: { ...ada, limits: limitsOf(), groupIds: [small.id] } });
    expect((await roundRobin([k1, k2, k1], 3)).map((x) => x.status)).toEqual([200, 200, 429]);
    expect((await chat(k2)).message).toBe('Rate limit exceeded: requests per minute of the group "Small"');

    // Leaving the group lifts its limit.
    delta({ op: 'upsert_user_policy', value: { ...ada, limits: limitsOf(), groupIds: [] } });
    expect((await chat(k2)).status).toBe(200);
  });
});
