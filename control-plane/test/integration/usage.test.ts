/**
 * Usage ingestion and the usage API against a real control plane, a real Postgres and a private
 * redis-server: events are appended to the Redis stream exactly as a gateway appends them.
 */
import { randomUUID } from 'node:crypto';
import { usageStreamOf } from '@portcullis/shared/redis-keys';
import { parseSnapshot } from '@portcullis/shared/snapshot';
import { periodId } from '@portcullis/shared/usage';
import { eventually } from '@portcullis/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { micro, type RequestItem, UsageStack, usageEvent } from './usage-harness';

const stack = new UsageStack();

interface KeyView {
  id: string;
  requestCount: number;
  lastUsedAt: string | null;
  usageShare: number;
  budget: { limitUsd: number; period: string; spentUsd: number } | null;
}
interface Sums {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}
interface Report {
  bucket: string;
  from: string;
  to: string;
  data: (Sums & { start: string })[];
  totals: Sums;
  byKey: (Sums & { keyId: string; name: string | null })[];
  byUser: (Sums & { userId: string })[];
  byModel: (Sums & { model: string | null })[];
}
interface ErrorBody {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}

const keyPath = (id: string) => `/orgs/${stack.orgId}/keys/${id}`;
const usagePath = (query = '') => `/orgs/${stack.orgId}/usage${query}`;

beforeAll(async () => {
  await stack.start();
}, 60_000);

afterAll(async () => {
  await stack.stop();
}, 60_000);

describe('ingestion', () => {
  it('N events become exactly N request rows, with the right sums in /requests, /usage and the key', async () => {
    const key = await stack.createKey({ budget: { limitUsd: 100, period: 'monthly' } });
    const other = await stack.createKey();
    const N = 1200; // more than one consumer batch
    const events = Array.from({ length: N }, (_, i) =>
      usageEvent(stack.orgId, key, {
        inputTokens: 100 + i,
        outputTokens: 7 * i,
        costUsd: (100 + i) * 0.000003 + 7 * i * 0.000015,
        status: i % 10 === 0 ? 429 : 200,
        errorCode: i % 10 === 0 ? 'rate_limit_exceeded' : null,
        model: i % 2 === 0 ? 'gpt-4o-mini' : 'claude-sonnet',
      }),
    );
    const otherEvents = Array.from({ length: 3 }, () => usageEvent(stack.orgId, other));
    await stack.xadd([...events, ...otherEvents]);

    const input = events.reduce((a, e) => a + e.inputTokens, 0);
    const output = events.reduce((a, e) => a + e.outputTokens, 0);
    const cost = events.reduce((a, e) => a + micro(e.costUsd), 0);

    let rows: RequestItem[] = [];
    await eventually(async () => {
      rows = await stack.allRequests(key.id);
      return rows.length >= N;
    });
    expect(rows).toHaveLength(N);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(events.map((e) => e.id)));
    expect(rows.reduce((a, r) => a + r.inputTokens, 0)).toBe(input);
    expect(rows.reduce((a, r) => a + r.outputTokens, 0)).toBe(output);
    expect(rows.reduce((a, r) => a + micro(r.costUsd), 0)).toBe(cost);
    // Newest first.
    for (let i = 1; i < rows.length; i++) {
      expect((rows[i - 1] as RequestItem).time >= (rows[i] as RequestItem).time).toBe(true);
    }
    const first = events[0];
    const row = rows.find((r) => r.id === first?.id);
    expect(row).toEqual({
      id: first?.id,
      time: first?.time,
      method: 'POST',
      route: '/v1/chat/completions',
      model: 'gpt-4o-mini',
      provider: 'openai',
      status: 429,
      errorCode: 'rate_limit_exceeded',
      inputTokens: 100,
      outputTokens: 0,
      cacheCreationInputTokens: 0,
      cacheReadInputTokens: 0,
      costUsd: micro(first?.costUsd ?? 0) / 1e6,
      estimated: false,
      aborted: false,
      latencyMs: 12.5,
      sourceIp: '203.0.113.7',
      userAgent: 'OpenAI/JS 5.0',
      gatewayId: (await stack.signers.gateway(stack.orgId)).id,
      requestId: first?.requestId,
      userId: key.ownerId,
      metadata: { team: 'backend' },
    });

    const view = await stack.get<KeyView>(keyPath(key.id));
    expect(view.requestCount).toBe(N);
    expect(view.lastUsedAt).toBe(
      events
        .map((e) => e.time)
        .sort()
        .at(-1),
    );
    expect(view.budget?.spentUsd).toBeCloseTo(cost / 1e6, 9);
    const otherView = await stack.get<KeyView>(keyPath(other.id));
    expect(otherView.budget).toBeNull();

    // usageShare over every key of the org; sort=requests puts the busiest key first.
    const list = await stack.get<{ data: KeyView[] }>(`/orgs/${stack.orgId}/keys?sort=requests&limit=200`);
    const total = list.data.reduce((a, k) => a + k.requestCount, 0);
    expect(list.data[0]?.id).toBe(key.id);
    expect(list.data[0]?.usageShare).toBeCloseTo(N / total, 9);
    expect(list.data.find((k) => k.id === other.id)?.usageShare).toBeCloseTo(3 / total, 9);
    expect(list.data.find((k) => k.id === key.id)?.budget?.spentUsd).toBeCloseTo(cost / 1e6, 9);

    // Rollups: totals, the series and the breakdowns agree with the raw rows.
    let report: Report | null = null;
    await eventually(async () => {
      report = await stack.get<Report>(usagePath(`?keyId=${key.id}`));
      return report.totals.requests === N;
    });
    const r = report as unknown as Report;
    expect(r.bucket).toBe('hour');
    expect(r.totals).toEqual({
      requests: N,
      errors: N / 10,
      inputTokens: input,
      outputTokens: output,
      costUsd: cost / 1e6,
    });
    // The last 24 hours, from the start of the hour 24 hours ago to the current (partial) hour.
    expect(r.data).toHaveLength(25);
    expect(r.data.reduce((a, d) => a + d.requests, 0)).toBe(N);
    expect(r.byKey).toEqual([{ keyId: key.id, name: key.name, ...r.totals }]);
    expect(r.byUser.map((u) => [u.userId, u.requests])).toEqual([[key.ownerId, N]]);
    expect(r.byModel.map((m) => m.model).sort()).toEqual(['claude-sonnet', 'gpt-4o-mini']);
    expect(r.byModel.reduce((a, m) => a + m.requests, 0)).toBe(N);
    const mini = await stack.get<Report>(usagePath(`?keyId=${key.id}&model=gpt-4o-mini&bucket=day`));
    expect(mini.totals.requests).toBe(N / 2);
    expect(mini.data).toHaveLength(31);

    // The whole org: both keys.
    const all = await stack.get<Report>(usagePath());
    expect(all.totals.requests).toBeGreaterThanOrEqual(N + 3);
    expect(all.byKey.find((k) => k.keyId === other.id)?.requests).toBe(3);
  });

  it('an event delivered twice (same batch or later) is stored and counted once', async () => {
    const key = await stack.createKey({ budget: { limitUsd: 5, period: 'daily' } });
    const e = usageEvent(stack.orgId, key, { costUsd: 0.25 });
    await stack.xadd([e, e]);
    await eventually(async () => (await stack.get<KeyView>(keyPath(key.id))).requestCount >= 1);
    await stack.xadd([e]);
    // A marker event after the duplicate: once it is in, the duplicate has been processed too.
    const marker = usageEvent(stack.orgId, key, { costUsd: 0.5 });
    await stack.xadd([marker]);
    await eventually(async () => (await stack.allRequests(key.id)).some((r) => r.id === marker.id));
    const rows = await stack.allRequests(key.id);
    expect(rows.map((r) => r.id).sort()).toEqual([e.id, marker.id].sort());
    const view = await stack.get<KeyView>(keyPath(key.id));
    expect(view.requestCount).toBe(2);
    expect(view.budget?.spentUsd).toBeCloseTo(0.75, 9);
  });

  it('dead-letters invalid events and events for another organization, and keeps consuming', async () => {
    const key = await stack.createKey();
    const secretish = `ua-${randomUUID()}`;
    const elsewhere = await stack.call<{ id: string }>('POST', '/orgs', { body: { name: 'Other Org' } });
    expect(elsewhere.status).toBe(201);
    const bad = [
      'not json',
      JSON.stringify({ hello: 'world' }),
      JSON.stringify({ ...usageEvent(stack.orgId, key), inputTokens: -1, userAgent: secretish }),
      JSON.stringify({ ...usageEvent(stack.orgId, key), userAgent: `${secretish}\u0000` }),
      // A real key, but claimed for another organization.
      JSON.stringify(usageEvent(elsewhere.body.id, key, { userAgent: secretish })),
      // A key id that does not exist.
      JSON.stringify(usageEvent(stack.orgId, { id: randomUUID(), ownerId: key.ownerId })),
    ];
    const good = usageEvent(stack.orgId, key);
    await stack.xadd([...bad, good]);
    await eventually(async () => (await stack.allRequests(key.id)).length === 1);
    const rows = await stack.allRequests(key.id);
    expect(rows.map((r) => r.id)).toEqual([good.id]);
    expect((await stack.get<KeyView>(keyPath(key.id))).requestCount).toBe(1);
    // Dead-lettered (usage-deadletter.test.ts has the details); the log has classes and counts.
    await eventually(async () => /dead-lettered to \S+: .*wrong_org/.test(stack.cp?.output() ?? ''));
    const out = stack.cp?.output() ?? '';
    expect(out).toMatch(/usage entries dead-lettered to portcullis:dead-letter:usage: .*malformed/);
    expect(out).toMatch(/usage entries dead-lettered to portcullis:dead-letter:usage: .*unknown_key/);
    // Logged without their content.
    expect(out).not.toContain(secretish);
    // Nothing of the refused events was stored in either organization.
    const stored = await stack.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM usage_requests WHERE key_id = $1',
      [key.id],
    );
    expect(stored[0]?.n).toBe('1');
  });

  it('keeps cache counts and the estimated mark in the request log; an older gateway’s event has 0 cache tokens', async () => {
    const key = await stack.createKey();
    const cached = usageEvent(stack.orgId, key, {
      provider: 'anthropic',
      inputTokens: 5000,
      cacheCreationInputTokens: 1200,
      cacheReadInputTokens: 3700,
    });
    const estimated = usageEvent(stack.orgId, key, { estimated: true });
    const { cacheCreationInputTokens: _w, cacheReadInputTokens: _r, ...older } = usageEvent(stack.orgId, key);
    // Cache counts beyond the input they are part of: refused.
    const impossible = usageEvent(stack.orgId, key, { inputTokens: 10, cacheReadInputTokens: 11 });
    await stack.xadd([cached, estimated, JSON.stringify(older), JSON.stringify(impossible)]);
    await eventually(async () => (await stack.allRequests(key.id)).length === 3);
    const rows = new Map((await stack.allRequests(key.id)).map((r) => [r.id, r]));
    expect(rows.get(cached.id)).toMatchObject({
      inputTokens: 5000,
      cacheCreationInputTokens: 1200,
      cacheReadInputTokens: 3700,
      estimated: false,
    });
    expect(rows.get(estimated.id)).toMatchObject({ estimated: true, cacheReadInputTokens: 0 });
    expect(rows.get(older.id)).toMatchObject({ cacheCreationInputTokens: 0, cacheReadInputTokens: 0 });
    expect(rows.has(impossible.id)).toBe(false);
  });

  it('acknowledged entries are removed from the stream', async () => {
    const key = await stack.createKey();
    const e = usageEvent(stack.orgId, key);
    await stack.xadd([e]);
    await eventually(async () => (await stack.allRequests(key.id)).length === 1);
    await eventually(async () => (await stack.redis?.xlen(usageStreamOf(stack.orgId))) === 0, 5000);
  });
});

describe('usage API', () => {
  it('answers 400 naming the field for bad queries', async () => {
    const key = await stack.createKey();
    const cases: [string, string][] = [
      [usagePath('?bucket=week'), 'bucket'],
      [usagePath('?keyId=nope'), 'keyId'],
      [usagePath('?userId=123'), 'userId'],
      [usagePath('?groupId=abc'), 'groupId'],
      [usagePath('?from=yesterday'), 'from'],
      [usagePath('?to=2026-13-01T00:00:00Z'), 'to'],
      [usagePath('?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z'), 'from'],
      [usagePath('?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z'), 'from'],
      [usagePath('?from=2026-01-01T00:00:00Z&to=2026-02-15T00:00:00Z&bucket=hour'), 'from'],
      [usagePath('?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&bucket=day'), 'from'],
      [usagePath('?color=blue'), 'color'],
      [`${keyPath(key.id)}/requests?from=soon`, 'from'],
      [`${keyPath(key.id)}/requests?limit=500`, 'limit'],
      [`${keyPath(key.id)}/requests?cursor=%%%`, 'cursor'],
      [`${keyPath(key.id)}/requests?cursor=eyJ0IjoxfQ`, 'cursor'],
    ];
    for (const [path, field] of cases) {
      const res = await stack.call<ErrorBody>('GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body.error.code, path).toBe('invalid_request');
      expect(
        res.body.error.details?.map((d) => d.field),
        path,
      ).toContain(field);
    }
    // A range of exactly 31 days hourly, or 366 daily, is fine.
    expect(
      (await stack.call('GET', usagePath('?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z'))).status,
    ).toBe(200);
    expect(
      (await stack.call('GET', usagePath('?from=2025-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&bucket=day')))
        .status,
    ).toBe(200);
  });

  it('groups are not known yet: a well-formed groupId is 404', async () => {
    const res = await stack.call<ErrorBody>('GET', usagePath(`?groupId=${randomUUID()}`));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('pages the request log with cursors and filters by time', async () => {
    const key = await stack.createKey();
    // Recent enough that retention (30 days) leaves them alone.
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
    const events = Array.from({ length: 7 }, (_, i) =>
      usageEvent(stack.orgId, key, { time: new Date(base + i * 60_000).toISOString() }),
    );
    await stack.xadd(events);
    await eventually(async () => (await stack.allRequests(key.id)).length === 7);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: RequestItem[]; nextCursor: string | null } = await stack.get(
        `${keyPath(key.id)}/requests?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...events].reverse().map((e) => e.id));
    const window: { data: RequestItem[] } = await stack.get(
      `${keyPath(key.id)}/requests?from=${new Date(base + 60_000).toISOString()}&to=${new Date(base + 3 * 60_000).toISOString()}`,
    );
    expect(window.data.map((r) => r.id)).toEqual([events[2]?.id, events[1]?.id]);
  });

  it('lists both routes in the OpenAPI document', async () => {
    const res = await fetch(`${stack.base}/api/openapi.json`);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/v1/orgs/{org}/keys/{id}/requests'] ?? {})).toEqual(['get']);
    expect(Object.keys(doc.paths['/api/v1/orgs/{org}/usage'] ?? {})).toEqual(['get']);
  });
});

describe('isolation', () => {
  it("another org's admin gets 404; a member sees only their own keys and usage", async () => {
    const member = await stack.addMember('member');
    const theirs = await stack.createKey({}, member.token);
    const mine = await stack.createKey();
    await stack.xadd([
      usageEvent(stack.orgId, theirs, { inputTokens: 5 }),
      usageEvent(stack.orgId, mine, { inputTokens: 9 }),
    ]);
    await eventually(async () => (await stack.allRequests(mine.id)).length === 1);
    await eventually(async () => (await stack.allRequests(theirs.id)).length === 1);

    // The member: their key's history yes, the admin's key no (404, as for the key itself).
    expect((await stack.allRequests(theirs.id, member.token)).map((r) => r.inputTokens)).toEqual([5]);
    const denied = await stack.call<ErrorBody>('GET', `${keyPath(mine.id)}/requests`, {
      token: member.token,
    });
    expect(denied.status).toBe(404);
    expect(denied.body.error.code).toBe('not_found');
    await eventually(async () => {
      const own = await stack.get<Report>(usagePath(), member.token);
      return own.totals.requests === 1;
    });
    const own = await stack.get<Report>(usagePath(), member.token);
    expect(own.byUser.map((u) => u.userId)).toEqual([member.userId]);
    expect(own.byKey.map((k) => k.keyId)).toEqual([theirs.id]);
    expect(own.totals.inputTokens).toBe(5);
    const forMe = await stack.get<Report>(usagePath(`?userId=${member.userId}`), member.token);
    expect(forMe.totals.requests).toBe(1);
    const someoneElse = await stack.call<ErrorBody>('GET', usagePath(`?userId=${stack.adminId}`), {
      token: member.token,
    });
    expect(someoneElse.status).toBe(403);
    expect(someoneElse.body.error.code).toBe('forbidden');
    const otherKey = await stack.call<ErrorBody>('GET', usagePath(`?keyId=${mine.id}`), {
      token: member.token,
    });
    expect(otherKey.status).toBe(404);

    // The admin sees the member's usage too.
    const adminView = await stack.get<Report>(usagePath(`?userId=${member.userId}`));
    expect(adminView.totals.requests).toBe(1);

    // Another organization (the same admin administers it): none of this org's keys exist there.
    const orgB = await stack.call<{ id: string }>('POST', '/orgs', { body: { name: 'Org B' } });
    const inB = await stack.call<ErrorBody>('GET', `/orgs/${orgB.body.id}/keys/${mine.id}/requests`);
    expect(inB.status).toBe(404);
    const usageB = await stack.call<ErrorBody>('GET', `/orgs/${orgB.body.id}/usage?keyId=${mine.id}`);
    expect(usageB.status).toBe(404);
    const reportB = await stack.get<Report>(`/orgs/${orgB.body.id}/usage`);
    expect(reportB.totals.requests).toBe(0);
    // The member is not in org B at all.
    const outsider = await stack.call<ErrorBody>('GET', `/orgs/${orgB.body.id}/usage`, {
      token: member.token,
    });
    expect(outsider.status).toBe(404);
    // Anonymous.
    expect((await stack.call('GET', usagePath(), { token: '' })).status).toBe(401);
    expect((await stack.call('GET', `${keyPath(mine.id)}/requests`, { token: '' })).status).toBe(401);
  });

  it('a deleted key keeps its history', async () => {
    const key = await stack.createKey();
    const e = usageEvent(stack.orgId, key);
    await stack.xadd([e]);
    await eventually(async () => (await stack.allRequests(key.id)).length === 1);
    expect((await stack.call('DELETE', keyPath(key.id))).status).toBe(204);
    // In flight when the key was deleted: still counted.
    const late = usageEvent(stack.orgId, key);
    await stack.xadd([late]);
    await eventually(async () => (await stack.allRequests(key.id)).length === 2);
    await eventually(async () => {
      const r = await stack.get<Report>(usagePath(`?keyId=${key.id}`));
      return r.totals.requests === 2 && r.byKey[0]?.name === key.name;
    });
  });
});

describe('snapshot spend floor', () => {
  it("a budgeted key's settled spend of the current period travels in full snapshots and deltas", async () => {
    const token = await stack.call<{ token: string }>('POST', `/orgs/${stack.orgId}/gateway-tokens`, {
      body: { name: `edge-${randomUUID().slice(0, 6)}` },
    });
    expect(token.status).toBe(201);
    const gw = (method: string, path: string, body?: unknown) =>
      fetch(`${stack.base}/api/v1/gateway/${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token.body.token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
    expect((await gw('POST', 'register', { instanceId: 'usage-test' })).status).toBe(200);

    const daily = await stack.createKey({ budget: { limitUsd: 10, period: 'daily' } });
    const lifetime = await stack.createKey({ budget: { limitUsd: 10, period: 'lifetime' } });
    const plain = await stack.createKey();
    const now = Date.now();
    const yesterday = new Date(now - 86_400_000).toISOString();
    await stack.xadd([
      usageEvent(stack.orgId, daily, { costUsd: 1.25 }),
      usageEvent(stack.orgId, daily, { costUsd: 0.5, time: yesterday }), // another day: not today's spend
      usageEvent(stack.orgId, lifetime, { costUsd: 2 }),
      usageEvent(stack.orgId, lifetime, { costUsd: 3, time: yesterday }),
      usageEvent(stack.orgId, plain, { costUsd: 9 }),
    ]);
    await eventually(async () => (await stack.get<KeyView>(keyPath(lifetime.id))).requestCount === 2);
    await eventually(async () => (await stack.get<KeyView>(keyPath(daily.id))).requestCount === 2);
    await eventually(async () => (await stack.get<KeyView>(keyPath(plain.id))).requestCount === 1);
    // A change so the full snapshot is rebuilt with the new spend.
    await stack.call('PATCH', keyPath(plain.id), { body: { name: 'plain' } });

    const res = await gw('GET', 'snapshot');
    expect(res.status).toBe(200);
    const snap = parseSnapshot(await res.json());
    const budgetOf = (id: string) => snap.keys.find((k) => k.id === id)?.budget;
    const today = Date.now();
    expect(budgetOf(daily.id)).toMatchObject({ spentUsd: 1.25, spentPeriod: periodId('daily', today) });
    expect(budgetOf(lifetime.id)).toMatchObject({ spentUsd: 5, spentPeriod: 'life' });
    expect(budgetOf(plain.id)).toBeNull();
    // The key views agree.
    expect((await stack.get<KeyView>(keyPath(daily.id))).budget?.spentUsd).toBe(1.25);
    expect((await stack.get<KeyView>(keyPath(lifetime.id))).budget?.spentUsd).toBe(5);

    // A delta for the key carries it too.
    const patched = await stack.call('PATCH', keyPath(daily.id), { body: { name: 'daily-renamed' } });
    expect(patched.status).toBe(200);
    const last = await stack.query<{ changes: { op: string; value?: { id: string; budget: unknown } }[] }>(
      'SELECT changes FROM snapshot_outbox WHERE org_id = $1 ORDER BY to_version DESC LIMIT 1',
      [stack.orgId],
    );
    const change = last[0]?.changes.find((c) => c.value?.id === daily.id);
    expect(change?.value?.budget).toMatchObject({ spentUsd: 1.25, spentPeriod: periodId('daily', today) });
  });
});

describe('retention and rollups', () => {
  it('deletes raw rows past USAGE_RETENTION_DAYS once rolled up; rollups stay', async () => {
    const key = await stack.createKey();
    const old = Array.from({ length: 4 }, (_, i) =>
      usageEvent(stack.orgId, key, {
        time: new Date(Date.now() - (40 + i) * 86_400_000).toISOString(),
        inputTokens: 1000,
      }),
    );
    const recent = usageEvent(stack.orgId, key, { inputTokens: 1 });
    // The old rows as the writer left them when they were new (the consumer refuses an event older than
    // USAGE_RETENTION_DAYS: its row, which makes a replay a duplicate, may be gone).
    for (const e of old) {
      await stack.query(
        `INSERT INTO usage_requests (id, org_id, key_id, user_id, time, method, route, model, provider, status,
           error_code, input_tokens, output_tokens, cost_micro, estimated, aborted, latency_ms, source_ip,
           user_agent, gateway_id, request_id, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
        [
          e.id,
          e.orgId,
          e.keyId,
          e.ownerId,
          e.time,
          e.method,
          e.route,
          e.model,
          e.provider,
          e.status,
          e.errorCode,
          e.inputTokens,
          e.outputTokens,
          Math.round(e.costUsd * 1e6),
          e.estimated,
          e.aborted,
          e.latencyMs,
          e.sourceIp,
          e.userAgent,
          e.gatewayId,
          e.requestId,
          JSON.stringify(e.metadata),
        ],
      );
    }
    await stack.query('UPDATE api_keys SET request_count = request_count + $2 WHERE id = $1', [
      key.id,
      old.length,
    ]);
    await stack.xadd([recent]);
    const from = new Date(Date.now() - 60 * 86_400_000).toISOString();
    await eventually(async () => {
      const r = await stack.get<Report>(usagePath(`?keyId=${key.id}&bucket=day&from=${from}`));
      return r.totals.requests === 5;
    });
    // Raw: only the recent row survives (retention runs every 400 ms here).
    await eventually(async () => (await stack.allRequests(key.id)).length === 1);
    expect((await stack.allRequests(key.id)).map((r) => r.id)).toEqual([recent.id]);
    const r = await stack.get<Report>(usagePath(`?keyId=${key.id}&bucket=day&from=${from}`));
    expect(r.totals.inputTokens).toBe(4001);
    expect(r.data.filter((d) => d.requests > 0)).toHaveLength(5);
    // The key's counters are not affected by retention.
    expect((await stack.get<KeyView>(keyPath(key.id))).requestCount).toBe(5);
  });
});

describe('expiry sweep', () => {
  it('audits key.expired once and pushes the key to gateways (snapshot version bump)', async () => {
    const key = await stack.createKey({ expiresIn: '30d' });
    const version = async () =>
      Number(
        (
          await stack.query<{ v: string }>(
            'SELECT snapshot_version::text AS v FROM organizations WHERE id = $1',
            [stack.orgId],
          )
        )[0]?.v,
      );
    const before = await version();
    // Time passes (the clock is Postgres's: move the expiry instead of waiting 30 days).
    await stack.query(`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, [key.id]);
    const expiredEvents = async () =>
      (
        await stack.get<{ data: { action: string; actor: { type: string } }[] }>(
          `/orgs/${stack.orgId}/audit-events?targetId=${key.id}&action=key.expired`,
        )
      ).data;
    await eventually(async () => (await expiredEvents()).length > 0);
    const outbox = await stack.query<{ changes: { op: string; value?: { id: string } }[] }>(
      'SELECT changes FROM snapshot_outbox WHERE org_id = $1 AND from_version >= $2 ORDER BY to_version',
      [stack.orgId, before],
    );
    expect(outbox.some((o) => o.changes.some((c) => c.op === 'upsert_key' && c.value?.id === key.id))).toBe(
      true,
    );
    expect(await version()).toBeGreaterThan(before);
    const v = await version();
    // A later sweep has run once another key's expiry (set now, so due after this one: sweeps go in
    // expiry order) is processed; in another organization, so this one's version stays put.
    const other = await stack.call<{ id: string }>('POST', '/orgs', {
      body: { name: `sweep-${randomUUID()}` },
    });
    expect(other.status).toBe(201);
    const later = await stack.call<{ key: { id: string } }>('POST', `/orgs/${other.body.id}/keys`, {
      body: { name: 'expires later', expiresIn: '30d' },
    });
    await stack.query(`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      later.body.key.id,
    ]);
    await eventually(
      async () =>
        (
          await stack.get<{ data: unknown[] }>(
            `/orgs/${other.body.id}/audit-events?targetId=${later.body.key.id}&action=key.expired`,
          )
        ).data.length > 0,
    );
    // Nothing more happened for this expiry.
    const events = await expiredEvents();
    expect(events).toHaveLength(1);
    expect(events[0]?.actor.type).toBe('system');
    expect(await version()).toBe(v);
    expect((await stack.get<{ status: string }>(keyPath(key.id))).status).toBe('expired');
  });
});
