import { verify } from '@node-rs/argon2';
import { makeKey, parseKey } from '@portcullis/shared/keys';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthenticateOptions } from '../src/pipeline/authenticate.js';
import { SnapshotStore } from '../src/snapshot/store.js';
import { type ServedGateway, SnapshotBuilder, serveGateway, sleep, snapshotKeyRecord } from './helpers.js';

// Failed key checks must not exhaust a gateway: the whole gateway on a real port, addresses simulated with
// X-Forwarded-For from a trusted proxy (127.0.0.1), argon2 calls counted through the `verifySecret` option.

const started: ServedGateway[] = [];
/** Held verifiers are released after each test, so a failing test leaves no request hanging. */
const releases: (() => void)[] = [];
afterEach(async () => {
  for (const release of releases.splice(0)) release();
  for (const s of started.splice(0)) await s.close();
});

type AuthOpts = Partial<Omit<AuthenticateOptions, 'store' | 'metrics'>>;

async function gatewayOn(store: SnapshotStore, auth: AuthOpts, now?: () => number): Promise<string> {
  const s = await serveGateway({ store, trustedProxies: ['127.0.0.1/32'], auth, now });
  started.push(s);
  return s.url;
}

interface Answer {
  status: number;
  code: string | undefined;
  retryAfter: string | null;
}

/** GET /v1/models (authentication only, no upstream) as `key`, from client address `from`. */
async function models(url: string, key: string, from: string): Promise<Answer> {
  const res = await fetch(`${url}/v1/models`, {
    headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': from },
  });
  const json = (await res.json()) as { error?: { code?: string } };
  return { status: res.status, code: json.error?.code, retryAfter: res.headers.get('retry-after') };
}

/** A snapshot of `n` keys whose hashes are never really checked (the test's verifier stands in). */
function stubKeys(n: number, b = new SnapshotBuilder()): { store: SnapshotStore; keyIds: string[] } {
  const keyIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const record = snapshotKeyRecord({ keyId: makeKey().keyId, orgId: b.orgId, secretHash: `$stub$${i}` });
    b.keys.push(record);
    keyIds.push(record.keyId);
  }
  const store = new SnapshotStore();
  store.apply(b.build());
  return { store, keyIds };
}

/** A verifier that holds every call until released, recording how many run at once. */
function heldVerifier(pass: (secret: string) => boolean = () => false) {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  releases.push(release);
  const v = {
    calls: 0,
    active: 0,
    maxActive: 0,
    release,
    verifySecret: async (_hash: string, secret: string) => {
      if (pass(secret)) return true;
      v.calls++;
      v.active++;
      v.maxActive = Math.max(v.maxActive, v.active);
      await released;
      v.active--;
      return false;
    },
  };
  return v;
}

/** Waits (polling) until `n` of the answers have arrived; throws if they never do. */
async function settled(answers: (Answer | undefined)[], n: number): Promise<Answer[]> {
  for (let i = 0; i < 300; i++) {
    const done = answers.filter((a): a is Answer => a !== undefined);
    if (done.length >= n) return done;
    await sleep(10);
  }
  throw new Error(`only ${answers.filter(Boolean).length} of ${n} answers arrived`);
}

const tally = (answers: Answer[]) => {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const k = `${a.status} ${a.code ?? ''}`.trim();
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
};

describe('failed key checks cannot exhaust a gateway', () => {
  it('refuses well-formed keys with an unknown key id without any argon2 verification', async () => {
    const { store } = stubKeys(1);
    let calls = 0;
    const url = await gatewayOn(store, {
      verifySecret: async () => {
        calls++;
        return false;
      },
    });
    for (let i = 0; i < 20; i++) {
      const a = await models(url, makeKey().key, `198.51.100.${i + 1}`);
      expect(a).toMatchObject({ status: 401, code: 'invalid_api_key' });
    }
    expect(calls).toBe(0);
  });

  it('locks a key id after a few failures from many addresses (no argon2), but not its real holder', async () => {
    const b = new SnapshotBuilder();
    const genuine = await b.key();
    const store = new SnapshotStore();
    store.apply(b.build());
    // A fixed clock 5 s into a minute: the test moves it past the reserve interval, within the minute.
    let clock = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
    const now = () => clock;
    let calls = 0;
    const auth: AuthOpts = {
      failuresPerKeyPerMinute: 5,
      keyReserveIntervalMs: 10_000,
      verifySecret: (hash, secret) => {
        calls++;
        return verify(hash, secret);
      },
    };
    const flood = async (url: string, n: number) => {
      const answers: Answer[] = [];
      for (let i = 0; i < n; i++) {
        const from = i % 2 === 0 ? `198.51.100.${i + 1}` : `2001:db8:${i.toString(16)}::7`;
        answers.push(await models(url, makeKey(genuine.record.keyId).key, from));
      }
      return answers;
    };

    // This process has verified the genuine secret: the flood cannot lock its holder out.
    const url = await gatewayOn(store, auth, now);
    expect((await models(url, genuine.key, '203.0.113.9')).status).toBe(200);
    expect(calls).toBe(1);
    const answers = await flood(url, 30);
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
    expect(tally(answers.slice(5))).toEqual({ '429 rate_limit_exceeded': 25 });
    expect(answers[5]?.retryAfter).toBe('10');
    expect(calls).toBe(1 + 5);
    expect((await models(url, genuine.key, '203.0.113.9')).status).toBe(200);
    expect(calls).toBe(1 + 5);

    // A fresh process (restart, new gateway): the holder is refused while locked, then gets the reserve slot.
    calls = 0;
    const fresh = await gatewayOn(store, auth, now);
    const again = await flood(fresh, 30);
    expect(tally(again)).toEqual({ '401 invalid_api_key': 5, '429 rate_limit_exceeded': 25 });
    expect(calls).toBe(5);
    expect(await models(fresh, genuine.key, '203.0.113.9')).toMatchObject({
      status: 429,
      code: 'rate_limit_exceeded',
    });
    clock += 10_000;
    expect((await models(fresh, genuine.key, '203.0.113.9')).status).toBe(200);
    expect(calls).toBe(6);
    // The reserve slot is spent: the next unseen secret waits for the next one; the holder is now cached.
    expect((await flood(fresh, 1))[0]).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect((await models(fresh, genuine.key, '192.0.2.50')).status).toBe(200);
    expect(calls).toBe(6);
  });

  it('bounds argon2 verifications in flight; beyond the queue, 429 at once; cached keys never wait', async () => {
    const b = new SnapshotBuilder();
    const genuine = await b.key();
    const { store, keyIds } = stubKeys(40, b);
    const parsed = parseKey(genuine.key);
    if (!parsed.ok) throw new Error('the genuine key does not parse');
    const held = heldVerifier((secret) => secret === parsed.value.secret);
    const url = await gatewayOn(store, {
      verifyConcurrency: 2,
      verifyQueue: 3,
      failuresPerIpPerMinute: 1000,
      failuresPerSecond: 1000,
      verifySecret: held.verifySecret,
    });
    expect((await models(url, genuine.key, '203.0.113.9')).status).toBe(200);

    // 40 wrong secrets, each for its own key id and from its own address (IPv4 and IPv6), all at once.
    const answers: (Answer | undefined)[] = new Array(40);
    const all = keyIds.map((keyId, i) =>
      models(url, makeKey(keyId).key, i % 2 ? `10.1.0.${i}` : `2001:db8:${i.toString(16)}::1`).then((a) => {
        answers[i] = a;
      }),
    );
    // 2 verifying + 3 queued; the other 35 are answered while the verifier still holds those 5.
    const early = await settled(answers, 35);
    expect(tally(early)).toEqual({ '429 rate_limit_exceeded': 35 });
    expect(early.every((a) => a.retryAfter === '1')).toBe(true);
    expect(held.maxActive).toBe(2);
    // A key this process has verified is served while the verifier is saturated.
    expect((await models(url, genuine.key, '203.0.113.9')).status).toBe(200);
    held.release();
    await Promise.all(all);
    expect(tally(answers as Answer[])).toEqual({ '429 rate_limit_exceeded': 35, '401 invalid_api_key': 5 });
    expect(held.calls).toBe(5);
    expect(held.maxActive).toBe(2);
  });

  it('counts IPv6 failures per /64: one /64 cannot dodge the per-address limit with new addresses', async () => {
    const { store, keyIds } = stubKeys(30);
    let calls = 0;
    const url = await gatewayOn(store, {
      failuresPerIpPerMinute: 10,
      failuresPerSecond: 1000,
      verifySecret: async () => {
        calls++;
        return false;
      },
    });
    const answers: Answer[] = [];
    for (const [i, keyId] of keyIds.entries())
      answers.push(await models(url, makeKey(keyId).key, `2001:db8:1:2:${(i + 1).toString(16)}::1`));
    expect(tally(answers.slice(0, 10))).toEqual({ '401 invalid_api_key': 10 });
    expect(tally(answers.slice(10))).toEqual({ '429 rate_limit_exceeded': 20 });
    expect(calls).toBe(10);
    // Another /64 and another IPv4 address are counted on their own.
    expect(await models(url, makeKey(keyIds[0]).key, '2001:db8:1:3::1')).toMatchObject({ status: 401 });
    expect(await models(url, makeKey(keyIds[1]).key, '192.0.2.1')).toMatchObject({ status: 401 });
    expect(calls).toBe(12);
  });

  it('counts IPv4 per address: distinct addresses are not lumped together', async () => {
    const { store, keyIds } = stubKeys(30);
    let calls = 0;
    const url = await gatewayOn(store, {
      failuresPerIpPerMinute: 2,
      failuresPerSecond: 1000,
      verifySecret: async () => {
        calls++;
        return false;
      },
    });
    for (const [i, keyId] of keyIds.entries())
      expect(await models(url, makeKey(keyId).key, `192.0.2.${i + 1}`)).toMatchObject({ status: 401 });
    expect(calls).toBe(30);
  });

  it('a parallel burst from one address is bounded by its failure count (attempts in flight count)', async () => {
    const { store, keyIds } = stubKeys(40);
    const held = heldVerifier();
    const url = await gatewayOn(store, {
      failuresPerIpPerMinute: 10,
      failuresPerSecond: 1000,
      verifyQueue: 100,
      verifySecret: held.verifySecret,
    });
    const answers: (Answer | undefined)[] = new Array(40);
    const all = keyIds.map((keyId, i) =>
      models(url, makeKey(keyId).key, '198.51.100.77').then((a) => {
        answers[i] = a;
      }),
    );
    const early = await settled(answers, 30);
    expect(tally(early)).toEqual({ '429 rate_limit_exceeded': 30 });
    held.release();
    await Promise.all(all);
    expect(tally(answers as Answer[])).toEqual({ '429 rate_limit_exceeded': 30, '401 invalid_api_key': 10 });
    expect(held.calls).toBe(10);
  });

  it('caps unproven secrets per second for the whole process, whatever their addresses; proven ones are free', async () => {
    const { store, keyIds } = stubKeys(60);
    let clock = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
    let calls = 0;
    const genuine = new Set<string>();
    const url = await gatewayOn(
      store,
      {
        failuresPerSecond: 5,
        verifySecret: async (_hash, secret) => {
          calls++;
          return genuine.has(secret);
        },
      },
      () => clock,
    );
    const from = (i: number) => (i % 2 ? `192.0.2.${i}` : `2001:db8:${i.toString(16)}::1`);
    // 20 wrong secrets, each for its own key id from its own address (IPv4, IPv6 /64s), in one second.
    const answers: Answer[] = [];
    for (let i = 0; i < 20; i++) answers.push(await models(url, makeKey(keyIds[i]).key, from(i)));
    expect(tally(answers.slice(0, 5))).toEqual({ '401 invalid_api_key': 5 });
    expect(tally(answers.slice(5))).toEqual({ '429 rate_limit_exceeded': 15 });
    expect(answers[5]?.retryAfter).toBe('1');
    expect(calls).toBe(5);
    // The next second has a new allowance.
    clock += 1_000;
    expect(await models(url, makeKey(keyIds[20]).key, from(20))).toMatchObject({ status: 401 });
    expect(calls).toBe(6);
    // Secrets that prove right do not use it up: 20 keys seen for the first time, all in one second.
    clock += 1_000;
    for (let i = 30; i < 50; i++) {
      const made = makeKey(keyIds[i]);
      genuine.add(made.secret);
      expect((await models(url, made.key, from(i))).status).toBe(200);
    }
    expect(calls).toBe(26);
  });
});
