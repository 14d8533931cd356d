import { readdirSync } from 'node:fs';
import path from 'node:path';
import { usageStreamOf } from '@portcullis/shared/redis-keys';
import { costMicroUsd } from '@portcullis/shared/usage';
import { Fleet, type Gateway } from '@portcullis/testing/fleet';
import { chatAt } from '@portcullis/testing/gateway-calls';
import { eventually } from '@portcullis/testing/wait';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Real processes end to end: two gateways emit usage events to Redis, the control plane consumes
// them into request logs, rollups and key counters. Redis and the control plane are each restarted
// while traffic flows; every request must be counted exactly once, with the right tokens and cost.
const fleet = new Fleet();
const PRICES = { inputPricePerMTok: 3, outputPricePerMTok: 15 };

interface Chat {
  usage: { prompt_tokens: number; completion_tokens: number };
}
interface RequestRow {
  id: string;
  status: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  model: string | null;
  gatewayId: string;
  requestId: string;
}
interface KeyView {
  requestCount: number;
  lastUsedAt: string | null;
}

let keyId = '';
let secret = '';

beforeAll(async () => {
  await fleet.start(2);
  await fleet.addFakeModel('gpt-4o-mini', PRICES);
  const made = await fleet.addKey({ name: 'metered' });
  keyId = made.id;
  secret = made.secret;
  for (const g of fleet.gateways) {
    await fleet.waitReady(g);
    await eventually(async () => (await chat(g.url, 'warm')).status === 200);
  }
}, 120_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

/** Entries left in the organization's usage stream (the control plane deletes each one it settles). */
async function undelivered(): Promise<number> {
  const redis = new Redis(fleet.redisPort, '127.0.0.1');
  try {
    return await redis.xlen(usageStreamOf(fleet.orgId));
  } finally {
    redis.disconnect();
  }
}

/** Spool segments a gateway has not sent yet. */
const spooled = (g: Gateway) =>
  readdirSync(path.join(g.stateDir, 'usage-spool')).filter((n) => n.endsWith('.jsonl')).length;

async function chat(
  url: string,
  content: string,
  requestId?: string,
): Promise<{ status: number; body: Chat }> {
  const { status, body } = await chatAt<Chat>(
    url,
    secret,
    { model: 'gpt-4o-mini', messages: [{ role: 'user', content }] },
    requestId ? { 'x-request-id': requestId } : {},
  );
  return { status, body };
}

async function allRequests(): Promise<RequestRow[]> {
  const rows: RequestRow[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: RequestRow[]; nextCursor: string | null } = await fleet.api(
      'GET',
      `/orgs/${fleet.orgId}/keys/${keyId}/requests?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    rows.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

describe('usage through two gateways, with Redis and the control plane restarted mid-traffic', () => {
  it('counts every request exactly once with the right tokens and cost', async () => {
    // The warm-up calls count too.
    const sent: Chat['usage'][] = [];
    const sentIds: string[] = [];
    let warm = 0;
    await eventually(async () => {
      warm = (await allRequests()).length;
      return warm >= 2;
    }, 20_000);
    const burst = async (n: number, label: string) => {
      for (let i = 0; i < n; i++) {
        const g = fleet.gateways[i % 2];
        const res = await chat(
          g?.url ?? '',
          `${label} ${i} ${'x'.repeat(i % 7)}`,
          `${label.replace(/ /g, '-')}-${i}`,
        );
        expect(res.status).toBe(200);
        sent.push(res.body.usage);
        sentIds.push(`${label.replace(/ /g, '-')}-${i}`);
      }
    };

    await burst(20, 'before');
    await fleet.stopRedis();
    await burst(20, 'redis down'); // spooled by the gateways
    await fleet.startRedis();
    await burst(20, 'redis back');
    await fleet.stopControlPlane();
    await burst(20, 'control plane down'); // waits in the stream
    await fleet.startControlPlane();
    await fleet.signIn();
    await burst(20, 'all back');

    const expected = warm + sent.length;
    let seen = 0;
    let missing: string[] = [];
    await eventually(async () => {
      const rows = await allRequests();
      seen = rows.length;
      const ids = new Set(rows.map((r) => r.requestId));
      missing = sentIds.filter((id) => !ids.has(id));
      return seen >= expected;
    }, 60_000).catch((err: Error) => {
      throw new Error(
        `${err.message}: ${seen} of ${expected} requests counted; missing ${missing.join(' ')}`,
      );
    });
    // Nothing is left that could arrive twice: every stream entry settled (acknowledged and deleted),
    // every gateway's spool sent (a segment is deleted once it is).
    await eventually(
      async () => (await undelivered()) === 0 && fleet.gateways.every((g) => spooled(g) === 0),
    );
    const rows = await allRequests();
    expect(rows).toHaveLength(expected);
    expect(new Set(rows.map((r) => r.id)).size).toBe(expected);
    expect(new Set(rows.map((r) => r.gatewayId)).size).toBe(2);

    const measured = rows.slice(0, sent.length); // newest first: the warm-up calls are the last rows
    const input = sent.reduce((a, u) => a + u.prompt_tokens, 0);
    const output = sent.reduce((a, u) => a + u.completion_tokens, 0);
    expect(measured.reduce((a, r) => a + r.inputTokens, 0)).toBe(input);
    expect(measured.reduce((a, r) => a + r.outputTokens, 0)).toBe(output);
    // Each request is billed its own cost, rounded up to a micro-dollar.
    const micro = sent.reduce(
      (a, u) => a + costMicroUsd(PRICES, { inputTokens: u.prompt_tokens, outputTokens: u.completion_tokens }),
      0,
    );
    const billed = measured.reduce((a, r) => a + Math.round(r.costUsd * 1e6), 0);
    expect(billed).toBe(micro);

    const key = await fleet.api<KeyView>('GET', `/orgs/${fleet.orgId}/keys/${keyId}`);
    expect(key.requestCount).toBe(expected);
    expect(key.lastUsedAt).not.toBeNull();
  }, 180_000);
});
