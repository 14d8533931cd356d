import { budgetKey, usageStreamOf } from '@portcullis/shared/redis-keys';
import { costMicroUsd, periodId, type UsageEvent, UsageEventSchema } from '@portcullis/shared/usage';
import { Fleet } from '@portcullis/testing/fleet';
import { eventually } from '@portcullis/testing/wait';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Real processes: a private redis-server, the control plane, two gateways and the fake upstream. Once
// the keys have reached both gateways the control plane is stopped (the gateways serve from the
// snapshot they hold), so nothing consumes the usage stream and XRANGE sees every event the gateways
// wrote.
const fleet = new Fleet();
/** Output dominates, so a request's cost is known almost exactly before it runs (max_tokens = WORDS). */
const PRICES = { inputPricePerMTok: 1, outputPricePerMTok: 1000 };
const WORDS = 6; // the fleet's fake upstream answers 6 words (6 completion tokens)
const MESSAGES = [{ role: 'user', content: 'How much does this cost?' }];
const PROMPT_TOKENS = Math.max(1, Math.ceil(JSON.stringify(MESSAGES).length / 4)); // as the fake counts
const COST = costMicroUsd(PRICES, { inputTokens: PROMPT_TOKENS, outputTokens: WORDS });
/** A budget of 10.5 requests. */
const LIMIT_MICRO = Math.round(10.5 * COST);

let redis: Redis;
const secrets: Record<'budgeted' | 'counted', string> = { budgeted: '', counted: '' };
const keyIds: Record<'budgeted' | 'counted', string> = { budgeted: '', counted: '' };
let seq = 0;

interface Chat {
  usage: { prompt_tokens: number; completion_tokens: number };
}

beforeAll(async () => {
  // Redis is replaced by a fresh, empty one below while the control plane is down: Redis users minted
  // per gateway (kept in Redis' memory, made again by the control plane when it reconnects) would be
  // gone until the control plane is back. This test is about the spool, so the gateways use REDIS_URL.
  fleet.cpEnv = { GATEWAY_REDIS_USERS: 'off' };
  await fleet.start(2);
  redis = new Redis({ port: fleet.redisPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  await fleet.addFakeModel('metered', PRICES);
  for (const [name, extra] of [
    ['budgeted', { budget: { limitUsd: LIMIT_MICRO / 1e6, period: 'monthly', alertThresholds: [] } }],
    ['counted', {}],
  ] as const) {
    const made = await fleet.addKey({ name, ...extra });
    secrets[name] = made.secret;
    keyIds[name] = made.id;
  }
  // Both gateways know both keys (a model-less GET spends nothing), then nobody consumes the stream.
  for (const g of fleet.gateways) {
    for (const secret of Object.values(secrets)) {
      await eventually(async () => {
        const res = await fetch(`${g.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
        return res.status === 200;
      });
    }
  }
  await fleet.stopControlPlane();
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await fleet.stop();
}, 60_000);

function chat(gateway: number, key: 'budgeted' | 'counted', extra: Record<string, unknown> = {}) {
  const requestId = `fleet-${process.pid}-${++seq}`;
  const g = fleet.gateways[gateway % fleet.gateways.length];
  const res = fetch(`${g?.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${secrets[key]}`,
      'content-type': 'application/json',
      'x-request-id': requestId,
    },
    body: JSON.stringify({ model: 'metered', messages: MESSAGES, max_tokens: WORDS, ...extra }),
  });
  return { requestId, res };
}

async function streamEvents(): Promise<UsageEvent[]> {
  const entries = (await redis.xrange(usageStreamOf(fleet.orgId), '-', '+')) as [string, string[]][];
  return entries.map(([, fields]) => UsageEventSchema.parse(JSON.parse(fields[1] as string)));
}

async function metric(gateway: number, name: string): Promise<number> {
  const g = fleet.gateways[gateway];
  const text = await (await fetch(`${g?.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : Number.NaN;
}

describe('budgets across two gateways', () => {
  it('50 concurrent requests never spend more than the budget plus the stated overshoot; then every gateway refuses', async () => {
    const calls = Array.from({ length: 50 }, (_, i) => chat(i, 'budgeted'));
    const answers = await Promise.all(
      calls.map(async ({ res }) => {
        const r = await res;
        return { status: r.status, body: (await r.json()) as Chat & { error?: { code: string } } };
      }),
    );
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    for (const a of refused) {
      expect(a.status).toBe(429);
      expect(a.body.error?.code).toBe('budget_exceeded');
    }
    const spent = ok.reduce(
      (s, a) =>
        s +
        costMicroUsd(PRICES, {
          inputTokens: a.body.usage.prompt_tokens,
          outputTokens: a.body.usage.completion_tokens,
        }),
      0,
    );
    // Stated worst case (budget/ledger.ts): no overshoot from concurrency; here every reservation
    // covers its cost (max_tokens = the answer's length, bytes / 4 ≥ the prompt's tokens), so none at all.
    expect(spent).toBeLessThanOrEqual(LIMIT_MICRO);
    // And the budget was usable. The stated undershoot (budget/ledger.ts): the half request the limit
    // leaves, plus at most one request's worth held as the other gateway's unspent allowance (or
    // refused after waiting for grants under contention) at the moment the burst ran out.
    expect(spent).toBeGreaterThan(LIMIT_MICRO - 2 * COST);
    const contention =
      (await metric(0, 'portcullis_gateway_budget_refused_total{reason="contention"}')) +
      (await metric(1, 'portcullis_gateway_budget_refused_total{reason="contention"}'));
    console.log(
      `budget fleet: limit ${LIMIT_MICRO} µUSD, ${ok.length} answered costing ${spent} µUSD (overshoot ${Math.max(0, spent - LIMIT_MICRO)} µUSD), ${refused.length} refused (${contention || 0} for contention)`,
    );

    // The next request, on either gateway, is refused with the period's end as Retry-After.
    for (const g of [0, 1]) {
      const { res } = chat(g, 'budgeted');
      const r = await res;
      expect(r.status).toBe(429);
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('budget_exceeded');
      expect(body.error.message).toMatch(/^Budget exceeded: .*monthly budget/);
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(31 * 86_400);
    }

    // Every call, answered or refused, is one usage event; the answered ones carry the spend.
    const ids = new Set(calls.map((c) => c.requestId));
    await eventually(async () => (await streamEvents()).filter((e) => ids.has(e.requestId)).length >= 50);
    const events = (await streamEvents()).filter((e) => ids.has(e.requestId));
    expect(events).toHaveLength(50);
    expect(events.filter((e) => e.status === 429 && e.errorCode === 'budget_exceeded')).toHaveLength(
      refused.length,
    );
    const billed = events.reduce((s, e) => s + Math.round(e.costUsd * 1e6), 0);
    expect(billed).toBe(spent);
    // The fleet counter holds the settled spend (no reservation is left once every call finished).
    const counter = budgetKey(fleet.orgId, `key:${keyIds.budgeted}`, periodId('monthly', Date.now()));
    await eventually(async () => Number(await redis.get(counter)) === spent);
  }, 60_000);

  it('N requests through two gateways are exactly N events with the right token and cost sums', async () => {
    const n = 40;
    const calls = Array.from({ length: n }, (_, i) => ({
      ...chat(i, 'counted', { messages: [{ role: 'user', content: `question ${i} ${'x'.repeat(i)}` }] }),
    }));
    const usages: Chat['usage'][] = [];
    for (const c of calls) {
      const r = await c.res;
      expect(r.status).toBe(200);
      usages.push(((await r.json()) as Chat).usage);
    }
    const ids = new Set(calls.map((c) => c.requestId));
    await eventually(async () => (await streamEvents()).filter((e) => ids.has(e.requestId)).length >= n);
    const events = (await streamEvents()).filter((e) => ids.has(e.requestId));
    expect(events).toHaveLength(n);
    expect(new Set(events.map((e) => e.id)).size).toBe(n);
    expect(new Set(events.map((e) => e.gatewayId)).size).toBe(2);
    expect(events.every((e) => e.keyId === keyIds.counted && e.status === 200)).toBe(true);
    const sum = (f: (u: Chat['usage']) => number) => usages.reduce((s, u) => s + f(u), 0);
    expect(events.reduce((s, e) => s + e.inputTokens, 0)).toBe(sum((u) => u.prompt_tokens));
    expect(events.reduce((s, e) => s + e.outputTokens, 0)).toBe(sum((u) => u.completion_tokens));
    expect(events.reduce((s, e) => s + Math.round(e.costUsd * 1e6), 0)).toBe(
      sum((u) => costMicroUsd(PRICES, { inputTokens: u.prompt_tokens, outputTokens: u.completion_tokens })),
    );
  }, 60_000);

  it('Redis down: events are spooled (and say so in /metrics), then replayed once, none lost', async () => {
    const spooledBefore = [
      await metric(0, 'portcullis_gateway_usage_events_total{outcome="spooled"}'),
      await metric(1, 'portcullis_gateway_usage_events_total{outcome="spooled"}'),
    ];
    await fleet.stopRedis();
    const n = 30;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const c = chat(i, 'counted');
      const r = await c.res;
      expect(r.status).toBe(200);
      await r.text();
      ids.push(c.requestId);
    }
    await eventually(
      async () =>
        (await metric(0, 'portcullis_gateway_usage_spool_events')) +
          (await metric(1, 'portcullis_gateway_usage_spool_events')) >=
        n,
    );
    expect(await metric(0, 'portcullis_gateway_usage_spool_bytes')).toBeGreaterThan(0);
    expect(await metric(1, 'portcullis_gateway_usage_spool_bytes')).toBeGreaterThan(0);
    const spooledAfter = [
      await metric(0, 'portcullis_gateway_usage_events_total{outcome="spooled"}'),
      await metric(1, 'portcullis_gateway_usage_events_total{outcome="spooled"}'),
    ];
    expect(
      (spooledAfter[0] ?? 0) - (spooledBefore[0] ?? 0) + (spooledAfter[1] ?? 0) - (spooledBefore[1] ?? 0),
    ).toBe(n);

    // A fresh, empty Redis (no persistence): whatever is in the stream now came from the spools.
    await fleet.startRedis();
    await eventually(
      async () =>
        (await metric(0, 'portcullis_gateway_usage_spool_events')) === 0 &&
        (await metric(1, 'portcullis_gateway_usage_spool_events')) === 0,
      20_000,
    );
    expect(await metric(0, 'portcullis_gateway_usage_spool_bytes')).toBe(0);
    // Replayed events were sent once: give a duplicate time to show up before counting.
    await new Promise((r) => setTimeout(r, 500));
    const events = (await streamEvents()).filter((e) => ids.includes(e.requestId));
    expect(events).toHaveLength(n);
    expect(new Set(events.map((e) => e.id)).size).toBe(n);
    expect(new Set(events.map((e) => e.requestId))).toEqual(new Set(ids));
    expect(await metric(0, 'portcullis_gateway_usage_events_total{outcome="dropped"}')).toBe(0);
  }, 90_000);
});
