/**
 * Usage ingestion that no event can stop (issue 11): hostile events mixed with honest ones, through a
 * private redis-server and a real control plane. Every honest event is counted exactly once, every
 * hostile one lands in the dead-letter stream with its reason (and in the health output and the
 * metrics), nothing stays pending; a batch the database refuses is split so the rest is counted;
 * sums cannot overflow.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { usageStreamOf } from '@portcullis/shared/redis-keys';
import {
  costMicroUsd,
  DEAD_LETTER_CLASSES,
  type DeadLetterClass,
  USAGE_CONSUMER_GROUP,
  USAGE_DEAD_LETTER_COUNTS,
  USAGE_DEAD_LETTER_STREAM,
  USAGE_DEAD_LETTER_VALUE_MAX,
  type UsageEvent,
  type UsageHealth,
} from '@portcullis/shared/usage';
import { freePort } from '@portcullis/testing/processes';
import { startRedisServer } from '@portcullis/testing/redis-server';
import { eventually } from '@portcullis/testing/wait';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryRef, micro, UsageStack, usageEvent } from './usage-harness';

const stack = new UsageStack();

interface KeyView {
  id: string;
  ownerId: string;
  requestCount: number;
  budget: { spentUsd: number } | null;
}
interface Health {
  status: string;
  usage: UsageHealth;
}
interface DeadEntry {
  id: string;
  /** First occurrence of each field name. */
  fields: Record<string, string>;
  raw: string[];
}

const keyPath = (id: string) => `/orgs/${stack.orgId}/keys/${id}`;
const PRICES = { inputPricePerMTok: 2, outputPricePerMTok: 8 };

async function health(): Promise<Health> {
  const res = await fetch(`${stack.base}/healthz`);
  expect(res.status).toBe(200);
  return (await res.json()) as Health;
}

async function metrics(): Promise<Map<string, number>> {
  const res = await fetch(`${stack.base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain;/);
  expect(res.headers.get('content-type')).toContain('version=0.0.4');
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function deadLetters(): Promise<DeadEntry[]> {
  const entries = (await stack.redis?.xrange(USAGE_DEAD_LETTER_STREAM, '-', '+')) as [string, string[]][];
  return entries.map(([id, raw]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string;
      if (!(name in fields)) fields[name] = raw[i + 1] as string;
    }
    return { id, fields, raw };
  });
}

/** Nothing left in the usage stream, nothing pending in the consumer group. */
async function drained(): Promise<boolean> {
  const redis = stack.redis;
  if (!redis) return false;
  const pending = (await redis.xpending(usageStreamOf(stack.orgId), USAGE_CONSUMER_GROUP)) as [
    number,
    ...unknown[],
  ];
  return (await redis.xlen(usageStreamOf(stack.orgId))) === 0 && pending[0] === 0;
}

async function createModel(slug: string, prices: typeof PRICES): Promise<void> {
  const cred = await stack.call<{ id: string }>('POST', `/orgs/${stack.orgId}/provider-credentials`, {
    body: {
      name: `cred-${randomUUID().slice(0, 8)}`,
      provider: 'openai',
      secret: 'sk-test-0123456789abcdefghij',
    },
  });
  expect(cred.status, cred.text).toBe(201);
  const model = await stack.call('POST', `/orgs/${stack.orgId}/models`, {
    body: { slug, credentialId: cred.body.id, upstreamModel: slug, ...prices },
  });
  expect(model.status, model.text).toBe(201);
}

const storedIds = async (orgIds: string[]) =>
  (
    await stack.query<{ id: string }>('SELECT id FROM usage_requests WHERE org_id = ANY($1::uuid[])', [
      orgIds,
    ])
  ).map((r) => r.id);

beforeAll(async () => {
  await stack.start();
  await createModel('priced-model', PRICES);
}, 60_000);

afterAll(async () => {
  await stack.stop();
}, 60_000);

describe('hostile usage events', () => {
  it('honest events around hostile ones are counted exactly once; every hostile one is dead-lettered with its reason', async () => {
    const secret = `secret-ua-${randomUUID()}`;
    const member = await stack.addMember('member');
    const stranger = await stack.addMember('member');
    const keyA = await stack.createKey({ budget: { limitUsd: 1000, period: 'lifetime' } });
    const keyB = await stack.createKey({}, member.token);
    const moved = await stack.createKey();
    const orgB = await stack.call<{ id: string }>('POST', '/orgs', { body: { name: 'Org B' } });
    expect(orgB.status).toBe(201);
    const inB = await stack.call<{ key: { id: string; ownerId: string } }>(
      'POST',
      `/orgs/${orgB.body.id}/keys`,
      {
        body: { name: 'key of org B' },
      },
    );
    expect(inB.status).toBe(201);
    const keyOfB = inB.body.key;

    // Honest: priced events (cost = tokens × price, as a gateway computes it), a model the org does
    // not have (any more), no model at all (with a provider-reported cost or none), and a key that
    // changed owner while its event was in flight (the event names the owner at its time).
    const honest: UsageEvent[] = [];
    for (let i = 0; i < 240; i++) {
      const key = [keyA, keyB, moved][i % 3] as { id: string; ownerId: string };
      const input = 10 + i;
      const output = 3 * i;
      const e =
        i % 4 === 0
          ? usageEvent(stack.orgId, key, { model: 'gone-model', costUsd: (i + 1) * 0.001 })
          : i % 4 === 1
            ? // No model: a refusal (no cost), or a pass-through call billed what the provider reported.
              usageEvent(stack.orgId, key, {
                model: null,
                provider: i % 8 === 1 ? null : 'openai',
                costUsd: i % 8 === 1 ? 0 : 0.37,
                status: i % 8 === 1 ? 404 : 200,
              })
            : usageEvent(stack.orgId, key, {
                model: 'priced-model',
                inputTokens: input,
                outputTokens: output,
                costUsd: costMicroUsd(PRICES, { inputTokens: input, outputTokens: output }) / 1e6,
              });
      honest.push({ ...e, time: new Date(Date.now() - 60_000 + i).toISOString() });
    }
    // The transfer: every `moved` event above names its owner before the transfer.
    const patched = await stack.call('PATCH', keyPath(moved.id), { body: { ownerId: member.userId } });
    expect(patched.status, patched.text).toBe(200);
    const afterMove = usageEvent(stack.orgId, { id: moved.id, ownerId: member.userId });
    honest.push(afterMove);

    const valid = (over: Partial<UsageEvent> = {}) =>
      usageEvent(stack.orgId, keyA, { userAgent: secret, ...over });
    const json = (o: unknown) => JSON.stringify(o);
    const without = (field: keyof UsageEvent) => {
      const e: Partial<UsageEvent> = valid();
      delete e[field];
      return json(e);
    };
    const hostile: [string, DeadLetterClass][] = [
      ['not json at all', 'malformed'],
      [`{"id": "${secret}"`, 'malformed'],
      [json({ ...valid(), metadata: { pad: secret.repeat(2000) } }), 'malformed'],
      [json(valid({ costUsd: 1e12 })), 'invalid'],
      [json(valid()).replace(/"costUsd":[^,]+/, '"costUsd":1e999'), 'invalid'],
      [json({ ...valid(), costUsd: 'NaN' }), 'invalid'],
      [json({ ...valid(), inputTokens: -5 }), 'invalid'],
      [json({ ...valid(), outputTokens: '20' }), 'invalid'],
      [json({ ...valid(), inputTokens: 2 ** 63 }), 'invalid'],
      [json({ ...valid(), latencyMs: null }), 'invalid'],
      [without('ownerId'), 'invalid'],
      [without('time'), 'invalid'],
      [json({ ...valid(), userAgent: secret.repeat(20) }), 'invalid'],
      [json({ ...valid(), route: `/v1/${secret}\u0000` }), 'invalid'],
      [json({ ...valid(), keyId: secret }), 'invalid'],
      [json([valid()]), 'invalid'],
      [json(valid({ time: new Date(Date.now() - 400 * 86_400_000).toISOString() })), 'out_of_window'],
      [json(valid({ time: new Date(Date.now() + 86_400_000).toISOString() })), 'out_of_window'],
      // The organization of another key; another organization's key; no key at all.
      [json(usageEvent(orgB.body.id, keyA, { userAgent: secret })), 'wrong_org'],
      [json(usageEvent(stack.orgId, keyOfB, { userAgent: secret })), 'wrong_org'],
      [
        json(usageEvent(stack.orgId, { id: randomUUID(), ownerId: keyA.ownerId }, { userAgent: secret })),
        'unknown_key',
      ],
      // Someone who never owned the key, and the owner of another key.
      [json(valid({ ownerId: stranger.userId })), 'wrong_owner'],
      [
        json(usageEvent(stack.orgId, { id: moved.id, ownerId: stranger.userId }, { userAgent: secret })),
        'wrong_owner',
      ],
      [
        json(usageEvent(stack.orgId, { id: keyB.id, ownerId: keyA.ownerId }, { userAgent: secret })),
        'wrong_owner',
      ],
      // Far beyond what its tokens can cost at the model's price; a cost without tokens for a priced model.
      [
        json(valid({ model: 'priced-model', inputTokens: 10, outputTokens: 10, costUsd: 50 })),
        'implausible_cost',
      ],
      [
        json(valid({ model: 'priced-model', inputTokens: 0, outputTokens: 0, costUsd: 0.01 })),
        'implausible_cost',
      ],
    ];

    // Honest events once, a fifth of them again later (redeliveries), hostile ones in between.
    const duplicates = honest.filter((_, i) => i % 5 === 0);
    const mixed: { text: string; expect: DeadLetterClass | null }[] = [
      ...honest.map((e) => ({ text: json(e), expect: null })),
      ...hostile.map(([text, cls]) => ({ text, expect: cls })),
    ];
    for (let i = mixed.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [mixed[i], mixed[j]] = [mixed[j] as (typeof mixed)[number], mixed[i] as (typeof mixed)[number]];
    }
    mixed.push(...duplicates.map((e) => ({ text: json(e), expect: null })));

    const before = await health();
    const metricsBefore = await metrics();
    const deadBefore = (await deadLetters()).length;
    // An entry with no field `e` and one with a thousand fields, next to the rest.
    const redis = stack.redis;
    if (!redis) throw new Error('no redis');
    const expected = new Map<string, DeadLetterClass>();
    const sentText = new Map<string, string>();
    const own = usageStreamOf(stack.orgId);
    expected.set(entryRef(own, String(await redis.xadd(own, '*', 'x', secret))), 'malformed');
    const wide = Array.from({ length: 1000 }, (_, i) => [`f${i}`, secret]).flat();
    expected.set(entryRef(own, String(await redis.xadd(own, '*', ...wide))), 'malformed');
    // In chunks of varied size, so batches mix honest and hostile entries differently.
    for (let at = 0; at < mixed.length; ) {
      const chunk = mixed.slice(at, at + 1 + Math.floor(Math.random() * 60));
      const refs = (await stack.xaddEntries(chunk.map((m) => m.text))).map((e) => entryRef(e.stream, e.id));
      chunk.forEach((m, i) => {
        if (!m.expect) return;
        expected.set(refs[i] as string, m.expect);
        sentText.set(refs[i] as string, stack.sent.get(refs[i] as string) ?? '');
      });
      at += chunk.length;
    }

    await eventually(
      async () => (await drained()) && (await deadLetters()).length >= deadBefore + expected.size,
      30_000,
    );

    // Every honest event exactly once, nothing else stored in either organization.
    const stored = await storedIds([stack.orgId, orgB.body.id]);
    expect(stored.length).toBe(honest.length);
    expect(new Set(stored)).toEqual(new Set(honest.map((e) => e.id)));
    for (const key of [keyA, keyB, moved]) {
      const mine = honest.filter((e) => e.keyId === key.id);
      const view = await stack.get<KeyView>(keyPath(key.id));
      expect(view.requestCount).toBe(mine.length);
      const spend = await stack.query<{ micro: string; spent: string }>(
        `SELECT (SELECT coalesce(sum(cost_micro), 0)::text FROM usage_key_spend WHERE key_id = $1) AS micro,
                (SELECT spent_usd::text FROM api_keys WHERE id = $1) AS spent`,
        [key.id],
      );
      const sum = mine.reduce((a, e) => a + micro(e.costUsd), 0);
      expect(Number(spend[0]?.micro)).toBe(sum);
      expect(Number(spend[0]?.spent)).toBeCloseTo(sum / 1e6, 9);
    }
    const viewA = await stack.get<KeyView>(keyPath(keyA.id));
    expect(viewA.budget?.spentUsd).toBeCloseTo(
      honest.filter((e) => e.keyId === keyA.id).reduce((a, e) => a + micro(e.costUsd), 0) / 1e6,
      9,
    );
    const movedRows = await stack.allRequests(moved.id);
    expect(movedRows.find((r) => r.id === afterMove.id)?.userId).toBe(member.userId);
    expect(movedRows.filter((r) => r.userId === moved.ownerId)).toHaveLength(movedRows.length - 1);

    // Every hostile entry in the dead-letter stream once, with its class and a reason that names
    // fields, not values; its original fields kept after ours.
    const dead = (await deadLetters()).slice(deadBefore);
    expect(dead).toHaveLength(expected.size);
    const byEntry = new Map(
      dead.map((d) => [entryRef(d.fields.dl_stream as string, d.fields.dl_entry as string), d]),
    );
    expect(new Set(byEntry.keys())).toEqual(new Set(expected.keys()));
    for (const [entryId, cls] of expected) {
      const d = byEntry.get(entryId) as DeadEntry;
      expect(d.fields.dl_class, d.fields.dl_reason).toBe(cls);
      expect(d.fields.dl_reason).toMatch(/\S/);
      expect(d.fields.dl_reason).not.toContain(secret);
      expect(Date.parse(d.fields.dl_at as string)).toBeGreaterThan(Date.now() - 120_000);
      expect(d.raw.slice(0, 10).filter((_, i) => i % 2 === 0)).toEqual([
        'dl_class',
        'dl_reason',
        'dl_at',
        'dl_entry',
        'dl_consumer',
      ]);
    }
    // The original field `e` as it was sent (an oversized one cut to USAGE_DEAD_LETTER_VALUE_MAX).
    for (const [entryId, text] of sentText) {
      const kept = byEntry.get(entryId)?.fields.e;
      if (text.length <= USAGE_DEAD_LETTER_VALUE_MAX) expect(kept).toBe(text);
      else expect(kept).toBe(text.slice(0, USAGE_DEAD_LETTER_VALUE_MAX));
    }
    const oversized = dead.find((d) => (d.fields.dl_reason ?? '').includes('too large'));
    expect(oversized?.fields.dl_truncated).toBe('1 cut, 0 dropped');
    const wideDead = dead.find((d) => d.raw.includes('f0'));
    expect(wideDead?.fields.dl_truncated).toBe('0 cut, 968 dropped');
    // The control plane's log names classes and counts, never what the events held.
    expect(stack.cp?.output() ?? '').toMatch(/dead-lettered to portcullis:dead-letter:usage/);
    expect(stack.cp?.output() ?? '').not.toContain(secret);

    // The health output and the metrics agree with the stream.
    const perClass = (cls: DeadLetterClass) => [...expected.values()].filter((c) => c === cls).length;
    let after = await health();
    await eventually(async () => {
      after = await health();
      return after.usage.deadLetter?.total === (before.usage.deadLetter?.total ?? 0) + expected.size;
    });
    expect(after.usage.ingestion).toBe('running');
    expect(after.usage.deadLetter?.stream).toBe(USAGE_DEAD_LETTER_STREAM);
    for (const cls of DEAD_LETTER_CLASSES) {
      expect(after.usage.deadLetter?.byReason[cls], cls).toBe(
        (before.usage.deadLetter?.byReason[cls] ?? 0) + perClass(cls),
      );
    }
    expect(after.usage.consumer.ingested - before.usage.consumer.ingested).toBe(honest.length);
    expect(after.usage.consumer.duplicates - before.usage.consumer.duplicates).toBe(duplicates.length);
    expect(after.usage.consumer.deadLettered - before.usage.consumer.deadLettered).toBe(expected.size);
    const counts = await redis.hgetall(USAGE_DEAD_LETTER_COUNTS);
    expect(Object.values(counts).reduce((a, n) => a + Number(n), 0)).toBe(after.usage.deadLetter?.total);
    const m = await metrics();
    const delta = (name: string) => (m.get(name) ?? Number.NaN) - (metricsBefore.get(name) ?? 0);
    expect(delta('portcullis_usage_events_ingested_total')).toBe(honest.length);
    expect(delta('portcullis_usage_events_duplicate_total')).toBe(duplicates.length);
    for (const cls of DEAD_LETTER_CLASSES) {
      expect(delta(`portcullis_usage_events_dead_lettered_total{reason="${cls}"}`), cls).toBe(perClass(cls));
      expect(m.get(`portcullis_usage_dead_letter_entries{reason="${cls}"}`), cls).toBe(
        after.usage.deadLetter?.byReason[cls],
      );
    }
    expect(m.get('portcullis_usage_ingestion_paused')).toBe(0);
    expect(await drained()).toBe(true);
  }, 90_000);
});

describe('one event the database refuses', () => {
  it('is dead-lettered with its SQLSTATE; the rest of its batch is counted once', async () => {
    const key = await stack.createKey();
    const secretRequest = `refuse-${randomUUID()}`;
    // The database, not the checks before it, refuses this one event (as a constraint or a range the
    // validation missed would).
    await stack.query(
      `ALTER TABLE usage_requests ADD CONSTRAINT test_refuse_one CHECK (request_id <> '${secretRequest}')`,
    );
    try {
      const honest = Array.from({ length: 40 }, () => usageEvent(stack.orgId, key, { costUsd: 0.01 }));
      const poison = usageEvent(stack.orgId, key, { requestId: secretRequest, costUsd: 0.02 });
      const before = await health();
      // One MULTI: the consumer reads them as one batch, the poison in the middle.
      const ids = await stack.xadd([...honest.slice(0, 20), poison, ...honest.slice(20)], { atomic: true });
      const poisonEntry = ids[20];
      await eventually(
        async () => (await drained()) && (await stack.allRequests(key.id)).length === 40,
        20_000,
      );

      const rows = await stack.allRequests(key.id);
      expect(new Set(rows.map((r) => r.id))).toEqual(new Set(honest.map((e) => e.id)));
      const view = await stack.get<KeyView>(keyPath(key.id));
      expect(view.requestCount).toBe(40);
      const spend = await stack.query<{ micro: string }>(
        'SELECT sum(cost_micro)::text AS micro FROM usage_key_spend WHERE key_id = $1',
        [key.id],
      );
      expect(spend[0]?.micro).toBe(String(40 * 10_000));
      const dead = (await deadLetters()).find((d) => d.fields.dl_entry === poisonEntry);
      expect(dead?.fields.dl_class).toBe('database');
      expect(dead?.fields.dl_reason).toBe('the database refused the event (SQLSTATE 23514)');
      expect(JSON.parse(dead?.fields.e ?? '{}').id).toBe(poison.id);
      const after = await health();
      expect(after.usage.consumer.isolatedBatches).toBeGreaterThan(before.usage.consumer.isolatedBatches);
      expect(after.usage.deadLetter?.byReason.database).toBe(
        (before.usage.deadLetter?.byReason.database ?? 0) + 1,
      );
      // Postgres' message quotes the row; the log only has the SQLSTATE.
      expect(stack.cp?.output() ?? '').toMatch(/refused a batch of \d+ usage events \(SQLSTATE 23514\)/);
      expect(stack.cp?.output() ?? '').not.toContain(secretRequest);
    } finally {
      await stack.query('ALTER TABLE usage_requests DROP CONSTRAINT IF EXISTS test_refuse_one');
    }
  }, 60_000);

  it('a failure no event causes (here a serialization failure) is retried, never dead-lettered', async () => {
    const key = await stack.createKey();
    const marker = `transient-${randomUUID()}`;
    await stack.query(`
      CREATE FUNCTION test_transient() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.request_id = '${marker}' THEN RAISE EXCEPTION 'try again' USING ERRCODE = '40001'; END IF;
        RETURN NEW;
      END $$`);
    await stack.query(
      'CREATE TRIGGER test_transient BEFORE INSERT ON usage_requests FOR EACH ROW EXECUTE FUNCTION test_transient()',
    );
    try {
      const before = await health();
      const events = [
        usageEvent(stack.orgId, key),
        usageEvent(stack.orgId, key, { requestId: marker }),
        usageEvent(stack.orgId, key),
      ];
      await stack.xadd(events, { atomic: true });
      await eventually(async () => (await health()).usage.ingestion === 'paused', 20_000);
      expect(await stack.allRequests(key.id)).toHaveLength(0);
      expect((await health()).usage.deadLetter?.total).toBe(before.usage.deadLetter?.total);
    } finally {
      await stack.query('DROP TRIGGER IF EXISTS test_transient ON usage_requests');
      await stack.query('DROP FUNCTION IF EXISTS test_transient()');
    }
    await eventually(async () => (await stack.allRequests(key.id)).length === 3, 20_000);
    await eventually(async () => (await health()).usage.ingestion === 'running');
    expect(await drained()).toBe(true);
  }, 60_000);
});

describe('sums that cannot overflow', () => {
  it('maximal events on top of counters past the old column types are counted exactly', async () => {
    const key = await stack.createKey({ budget: { limitUsd: 1, period: 'lifetime' } });
    const before = await health();
    const time = new Date(Date.now() - 60_000).toISOString();
    // Years of traffic: a lifetime spend near numeric(20,8)'s ceiling, a day's spend and an hour's
    // tokens near bigint's.
    const BIG = 9_223_372_036_854_000_000n;
    await stack.query(`UPDATE api_keys SET spent_usd = 999999999999 WHERE id = $1`, [key.id]);
    await stack.query(
      `INSERT INTO usage_key_spend (key_id, day, org_id, requests, cost_micro)
       VALUES ($1, ($3::timestamptz AT TIME ZONE 'UTC')::date, $2, 1, $4)`,
      [key.id, stack.orgId, time, BIG.toString()],
    );
    await stack.query(
      `INSERT INTO usage_rollups (granularity, bucket_start, org_id, key_id, user_id, model, requests,
         errors, input_tokens, output_tokens, cost_micro)
       SELECT g, date_trunc(g, $4::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', $2, $1, $3, 'maximal',
              1, 0, $5, $5, $5
         FROM unnest(ARRAY['hour', 'day']) AS g`,
      [key.id, stack.orgId, key.ownerId, time, BIG.toString()],
    );
    const N = 500;
    const events = Array.from({ length: N }, () =>
      usageEvent(stack.orgId, key, {
        time,
        model: 'maximal',
        inputTokens: 1_000_000_000,
        outputTokens: 1_000_000_000,
        costUsd: 10_000,
        latencyMs: 7 * 86_400_000,
      }),
    );
    await stack.xadd(events, { atomic: true });
    await eventually(async () => (await stack.get<KeyView>(keyPath(key.id))).requestCount === N, 30_000);

    const sums = await stack.query<{ spent: string; day: string }>(
      `SELECT (SELECT spent_usd::text FROM api_keys WHERE id = $1) AS spent,
              (SELECT cost_micro::text FROM usage_key_spend WHERE key_id = $1) AS day`,
      [key.id],
    );
    expect(sums[0]?.spent).toMatch(new RegExp(`^${999_999_999_999 + N * 10_000}(\\.0+)?$`));
    expect(sums[0]?.day).toBe((BIG + BigInt(N) * 10_000_000_000n).toString());
    await eventually(async () => {
      const rollups = await stack.query<{ g: string; tokens: string; micro: string; requests: string }>(
        `SELECT granularity AS g, input_tokens::text AS tokens, cost_micro::text AS micro, requests::text AS requests
           FROM usage_rollups WHERE key_id = $1`,
        [key.id],
      );
      return (
        rollups.length === 2 &&
        rollups.every(
          (r) =>
            r.requests === String(N + 1) &&
            r.tokens === (BIG + BigInt(N) * 1_000_000_000n).toString() &&
            r.micro === (BIG + BigInt(N) * 10_000_000_000n).toString(),
        )
      );
    }, 20_000);
    // Readers keep working on such sums.
    const view = await stack.get<KeyView>(keyPath(key.id));
    expect(view.budget?.spentUsd).toBeGreaterThan(9e12);
    const report = await stack.get<{ totals: { requests: number; costUsd: number } }>(
      `/orgs/${stack.orgId}/usage?keyId=${key.id}&bucket=day`,
    );
    expect(report.totals.requests).toBe(N + 1);
    expect(report.totals.costUsd).toBeGreaterThan(9e12);
    expect((await health()).usage.deadLetter?.total).toBe(before.usage.deadLetter?.total);
  }, 90_000);
});

describe('who may write the dead-letter stream (deploy/redis-acl/users.acl)', () => {
  it('a gateway may XADD usage events but cannot forge dead-letter entries or counts', async () => {
    const port = await freePort();
    const acl = path.resolve(__dirname, '../../../deploy/redis-acl/users.acl');
    const server = await startRedisServer({ port, args: ['--aclfile', acl] });
    const as = (username: string, password: string) => {
      const r = new Redis(port, '127.0.0.1', {
        username,
        password,
        lazyConnect: true,
        retryStrategy: () => 50,
      });
      r.on('error', () => undefined);
      return r;
    };
    const gateway = as('portcullis-gw-example', 'change-me-gateway');
    // The organization of the example gateway user in users.acl.
    const exampleStream = usageStreamOf('00000000-0000-4000-8000-000000000000');
    const controlPlane = as('control-plane', 'change-me-control-plane');
    try {
      await eventually(async () => {
        await gateway.connect().catch(() => undefined);
        return (await gateway.ping()) === 'PONG';
      }, 10_000);
      await controlPlane.connect();
      expect(await gateway.xadd(exampleStream, '*', 'e', '{}')).toMatch(/^\d+-\d+$/);
      await expect(gateway.xadd(USAGE_DEAD_LETTER_STREAM, '*', 'dl_class', 'invalid')).rejects.toThrow(
        /NOPERM/,
      );
      await expect(gateway.hincrby(USAGE_DEAD_LETTER_COUNTS, 'invalid', 1)).rejects.toThrow(/NOPERM/);
      await expect(gateway.xrange(exampleStream, '-', '+')).rejects.toThrow(/NOPERM/);
      // The control plane may (what the consumer's settle step does).
      expect(await controlPlane.xadd(USAGE_DEAD_LETTER_STREAM, '*', 'dl_class', 'invalid')).toMatch(
        /^\d+-\d+$/,
      );
      expect(await controlPlane.hincrby(USAGE_DEAD_LETTER_COUNTS, 'invalid', 1)).toBe(1);
      expect(await controlPlane.eval("return redis.call('XLEN', KEYS[1])", 1, USAGE_DEAD_LETTER_STREAM)).toBe(
        1,
      );
    } finally {
      gateway.disconnect();
      controlPlane.disconnect();
      await server.stop();
    }
  });
});
