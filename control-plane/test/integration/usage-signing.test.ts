/**
 * Usage events count only when signed by a gateway attached to their organization (issue 12): forged
 * events written straight to Redis (unsigned, signed with a wrong secret, signed by another
 * organization's gateway, by a removed gateway, altered after signing) are dead-lettered with their
 * reason, and the honest events around them are counted exactly once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { BUDGET_GRANT_SCRIPT, usageStreamOf } from '@portcullis/shared/redis-keys';
import { USAGE_DEAD_LETTER_STREAM, type UsageEvent } from '@portcullis/shared/usage';
import { signUsageEvent } from '@portcullis/shared/usage-signing';
import { eventually } from '@portcullis/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageStack, usageEvent } from './usage-harness';

const stack = new UsageStack();

interface Registered {
  id: string;
  orgId: string;
  token: string;
  secret: Buffer;
  raw: Record<string, unknown>;
}

/** Creates a gateway in `orgId` (admin REST call) and registers it with its token, as a gateway does. */
async function gateway(orgId: string, name: string): Promise<Registered> {
  const created = await stack.call<{ token: string; gateway: { id: string } }>(
    'POST',
    `/orgs/${orgId}/gateway-tokens`,
    { body: { name } },
  );
  expect(created.status, created.text).toBe(201);
  const reg = await stack.call<Record<string, unknown>>('POST', '/gateway/register', {
    token: created.body.token,
    body: { instanceId: `${name}-1`, version: 'test' },
  });
  expect(reg.status, `${reg.text}\n${stack.cp?.output().slice(-3000)}`).toBe(200);
  const secret = reg.body.usageSigningSecret;
  return {
    id: created.body.gateway.id,
    orgId,
    token: created.body.token,
    secret: typeof secret === 'string' ? Buffer.from(secret, 'base64url') : Buffer.alloc(0),
    raw: reg.body,
  };
}

const sign = (e: UsageEvent, gw: { id: string; secret: Buffer }) =>
  signUsageEvent({ ...e, gatewayId: gw.id }, gw.secret);

async function xadd(stream: string, lines: string[]): Promise<Map<string, string>> {
  const redis = stack.redis;
  if (!redis) throw new Error('no redis');
  const pipe = redis.multi();
  for (const line of lines) pipe.xadd(stream, '*', 'e', line);
  const ids = new Map<string, string>();
  for (const [i, [err, id]] of ((await pipe.exec()) ?? []).entries()) {
    if (err) throw err;
    ids.set(String(id), lines[i] as string);
  }
  return ids;
}

async function deadLetters(): Promise<Map<string, { class: string; reason: string; stream: string }>> {
  const entries = (await stack.redis?.xrange(USAGE_DEAD_LETTER_STREAM, '-', '+')) as [string, string[]][];
  const out = new Map<string, { class: string; reason: string; stream: string }>();
  for (const [, raw] of entries) {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < raw.length; i += 2) f[raw[i] as string] ??= raw[i + 1] as string;
    out.set(f.dl_entry ?? '', {
      class: f.dl_class ?? '',
      reason: f.dl_reason ?? '',
      stream: f.dl_stream ?? '',
    });
  }
  return out;
}

beforeAll(async () => {
  await stack.start();
}, 60_000);

afterAll(async () => {
  await stack.stop();
}, 60_000);

describe('signed usage events', () => {
  it('the registration answer hands the gateway its own signing secret, the same at every registration', async () => {
    const gw = await gateway(stack.orgId, 'edge-secret');
    expect(gw.secret.length).toBe(32);
    const again = await stack.call<Record<string, unknown>>('POST', '/gateway/register', {
      token: gw.token,
      body: { instanceId: 'edge-secret-2' },
    });
    expect(again.body.usageSigningSecret).toBe(gw.raw.usageSigningSecret);
    const other = await gateway(stack.orgId, 'edge-secret-other');
    expect(other.secret.equals(gw.secret)).toBe(false);
    // At rest it is sealed, never in clear.
    const rows = await stack.query<Record<string, unknown>>('SELECT * FROM gateways WHERE id = $1', [gw.id]);
    expect(JSON.stringify(rows)).not.toContain(String(gw.raw.usageSigningSecret));
    // Nor in the gateway list.
    const list = await stack.call('GET', `/orgs/${stack.orgId}/gateways`);
    expect(list.text).not.toContain(String(gw.raw.usageSigningSecret));
  });

  it('forged events are dead-lettered with their reason; the honest ones around them count exactly once', async () => {
    const key = await stack.createKey();
    const honestGw = await gateway(stack.orgId, 'edge-honest');
    const removedGw = await gateway(stack.orgId, 'edge-removed');
    const orgB = await stack.call<{ id: string }>('POST', '/orgs', { body: { name: 'Signing Org B' } });
    expect(orgB.status, orgB.text).toBe(201);
    const foreignGw = await gateway(orgB.body.id, 'edge-foreign');
    const del = await stack.call('DELETE', `/orgs/${stack.orgId}/gateways/${removedGw.id}`);
    expect(del.status, del.text).toBe(204);

    const honest = Array.from({ length: 12 }, () => usageEvent(stack.orgId, key));
    const forged: { line: string; class: string; stream?: string }[] = [];
    const ev = () => usageEvent(stack.orgId, key, { costUsd: 1, inputTokens: 1, outputTokens: 1 });
    // No signature at all (what any Redis writer could XADD before).
    forged.push({ line: JSON.stringify({ ...ev(), gatewayId: honestGw.id }), class: 'unsigned' });
    // Signed with a secret that is not the named gateway's.
    forged.push({ line: sign(ev(), { id: honestGw.id, secret: randomBytes(32) }), class: 'bad_signature' });
    // Signed by a gateway of another organization (valid for that gateway), into this org's stream
    // and into its own org's stream, claiming this org.
    forged.push({ line: sign(ev(), foreignGw), class: 'wrong_gateway_org' });
    forged.push({
      line: sign(ev(), foreignGw),
      class: 'wrong_gateway_org',
      stream: usageStreamOf(orgB.body.id),
    });
    // Signed by a gateway that was removed.
    forged.push({ line: sign(ev(), removedGw), class: 'unknown_gateway' });
    // Signed by no gateway the control plane knows.
    forged.push({
      line: sign(ev(), { id: '00000000-0000-4000-8000-000000000000', secret: randomBytes(32) }),
      class: 'unknown_gateway',
    });
    // Honestly signed, then altered: the cost, the key, the organization.
    const altered = (over: Partial<UsageEvent>) => {
      const parsed = JSON.parse(sign(ev(), honestGw)) as Record<string, unknown>;
      return JSON.stringify({ ...parsed, ...over });
    };
    forged.push({ line: altered({ costUsd: 2 }), class: 'bad_signature' });
    forged.push({ line: altered({ outputTokens: 1000 }), class: 'bad_signature' });
    forged.push({ line: altered({ gatewayId: removedGw.id }), class: 'unknown_gateway' });
    // A signature copied from an honest event onto another event.
    const donor = JSON.parse(sign(ev(), honestGw)) as { sig: string };
    forged.push({
      line: JSON.stringify({ ...ev(), gatewayId: honestGw.id, sig: donor.sig }),
      class: 'bad_signature',
    });

    // Honest and forged interleaved, in one MULTI per stream (one consumer batch).
    const main: string[] = [];
    const expectClass = new Map<string, string>();
    const lineClass = new Map<string, string>();
    honest.forEach((e, i) => {
      main.push(sign(e, honestGw));
      const f = forged[i];
      if (f && !f.stream) {
        main.push(f.line);
        lineClass.set(f.line, f.class);
      }
    });
    for (const f of forged.slice(honest.length)) if (!f.stream) throw new Error('too few honest events');
    const ids = await xadd(usageStreamOf(stack.orgId), main);
    for (const [id, line] of ids) {
      const c = lineClass.get(line);
      if (c) expectClass.set(id, c);
    }
    for (const f of forged.filter((x) => x.stream)) {
      for (const [id] of await xadd(f.stream as string, [f.line])) expectClass.set(id, f.class);
    }
    expect(expectClass.size).toBe(forged.length);

    await eventually(async () => {
      const dead = await deadLetters();
      return [...expectClass.keys()].every((id) => dead.has(id));
    });
    const dead = await deadLetters();
    for (const [id, cls] of expectClass) expect(dead.get(id)?.class, id).toBe(cls);
    // Each names the stream it was read from (entry ids are unique per stream only).
    const intoB = forged.filter((f) => f.stream).length;
    expect(
      [...expectClass.keys()].filter((id) => dead.get(id)?.stream === usageStreamOf(orgB.body.id)),
    ).toHaveLength(intoB);
    // Reasons name fields, never values (no secret, no MAC).
    for (const id of expectClass.keys()) expect(dead.get(id)?.reason).not.toMatch(/v1\./);

    await eventually(async () => (await stack.allRequests(key.id)).length >= honest.length);
    const rows = await stack.allRequests(key.id);
    expect(rows.map((r) => r.id).sort()).toEqual(honest.map((e) => e.id).sort());
    expect(new Set(rows.map((r) => r.gatewayId))).toEqual(new Set([honestGw.id]));
    const keyView = await stack.get<{ requestCount: number }>(`/orgs/${stack.orgId}/keys/${key.id}`);
    expect(keyView.requestCount).toBe(honest.length);
  }, 60_000);
});

describe('replayed genuine events', () => {
  it('a genuine event replayed, also after retention deleted its row, counts once', async () => {
    const key = await stack.createKey();
    const gw = await gateway(stack.orgId, 'edge-replayed');
    // 40 days old: past the raw-row retention (30 days here, the default), within USAGE_EVENT_MAX_AGE_DAYS (90).
    const e = usageEvent(stack.orgId, key, { time: new Date(Date.now() - 40 * 86_400_000).toISOString() });
    const line = sign(e, gw);
    const stream = usageStreamOf(stack.orgId);
    const count = async () =>
      (await stack.get<{ requestCount: number }>(`/orgs/${stack.orgId}/keys/${key.id}`)).requestCount;
    const rowExists = async () =>
      (await stack.query('SELECT 1 FROM usage_requests WHERE id = $1', [e.id])).length > 0;
    // Sent twice at once (same id), then again once the raw row is gone (retention) or was never written.
    const [first] = [...(await xadd(stream, [line, line])).keys()];
    await eventually(async () => (await count()) >= 1 || (await deadLetters()).has(first ?? ''));
    await eventually(async () => !(await rowExists()));
    const [again] = [...(await xadd(stream, [line])).keys()];
    await eventually(async () => (await deadLetters()).has(again ?? '') || (await rowExists()));
    expect(await count()).toBeLessThanOrEqual(1);
    // Older than raw rows are kept: nothing could tell a replay from a first delivery, so it is refused.
    expect((await deadLetters()).get(again ?? '')?.class).toBe('out_of_window');
  }, 60_000);
});

describe('per-gateway Redis users', () => {
  const aclUser = async (name: string) => {
    const r = (await stack.redis?.call('ACL', 'GETUSER', name)) as unknown[] | null;
    return r;
  };

  it('Redis unreachable: removal is refused and the gateway kept; once Redis is back its user is made again, and removal deletes it', async () => {
    const gw = await gateway(stack.orgId, 'edge-redis-user');
    const creds = gw.raw.redis as { username: string; password: string };
    expect(creds.username).toBe(`portcullis-gw-${gw.id}`);
    expect(await aclUser(creds.username)).not.toBeNull();
    // Redis stores a hash of the password, never the password.
    expect(JSON.stringify(await aclUser(creds.username))).not.toContain(creds.password);

    await stack.stopRedis();
    const refused = await stack.call<{ error: { code: string } }>(
      'DELETE',
      `/orgs/${stack.orgId}/gateways/${gw.id}`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('conflict');
    const list = await stack.get<{ data: { id: string }[] }>(`/orgs/${stack.orgId}/gateways`);
    expect(list.data.map((g) => g.id)).toContain(gw.id);

    // A fresh Redis (it lost its users and scripts): the control plane makes them again when it
    // reconnects, and loads the script gateways may run by SHA only.
    await stack.startRedis();
    await eventually(async () => (await aclUser(creds.username)) !== null);
    const sha = createHash('sha1').update(BUDGET_GRANT_SCRIPT).digest('hex');
    await eventually(async () => {
      const exists = (await stack.redis?.call('SCRIPT', 'EXISTS', sha)) as number[] | undefined;
      return exists?.[0] === 1;
    });
    const removed = await stack.call('DELETE', `/orgs/${stack.orgId}/gateways/${gw.id}`);
    expect(removed.status).toBe(204);
    expect(await aclUser(creds.username)).toBeNull();
  }, 60_000);
});
