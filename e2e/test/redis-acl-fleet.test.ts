import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BUDGET_GRANT_SCRIPT,
  budgetGatewaysKey,
  budgetKey,
  rateLimitPrefix,
  snapshotChannel,
  usageStreamOf,
} from '@portcullis/shared/redis-keys';
import { periodId, USAGE_DEAD_LETTER_STREAM } from '@portcullis/shared/usage';
import { Fleet, type Gateway } from '@portcullis/testing/fleet';
import { freePort } from '@portcullis/testing/processes';
import { eventually } from '@portcullis/testing/wait';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Each gateway has its own Redis identity. A private redis-server runs with the shipped
 * ACL file (deploy/redis-acl/users.acl: the default user off, the control plane's user allowed to
 * mint users); the gateways are given no Redis credentials at all, only the address, so everything
 * they do in Redis they do as the user the control plane minted for them at registration. A gateway
 * of org A serves key checks, rate limits, budgets and usage under that user; the user of a gateway of
 * org B is refused on each of org A's channels and keys, and is deleted when gateway B is removed.
 */
const fleet = new Fleet();
const PRICES = { inputPricePerMTok: 100, outputPricePerMTok: 400 };
const aclDir = mkdtempSync(path.join(tmpdir(), 'portcullis-acl-'));
const aclFile = path.join(aclDir, 'users.acl');
copyFileSync(path.resolve(__dirname, '../../deploy/redis-acl/users.acl'), aclFile);

const keys: Record<'plain' | 'limited' | 'budgeted', { id: string; secret: string }> = {
  plain: { id: '', secret: '' },
  limited: { id: '', secret: '' },
  budgeted: { id: '', secret: '' },
};
let orgB = '';
let gatewayB: Gateway;
let gatewayBId = '';
let admin: Redis;
const clients: Redis[] = [];

interface Registration {
  gateway: { id: string; orgId: string };
  usageSigningSecret: string;
  redis: { username: string; password: string } | null;
}

async function register(token: string): Promise<Registration> {
  const res = await fleet.call<Registration>('POST', '/gateway/register', {
    token,
    body: { instanceId: 'acl-test-probe' },
  });
  expect(res.status).toBe(200);
  return res.body;
}

/** A Redis connection as `user` (never retried: a refused login is an answer here). */
async function connectAs(user: { username: string; password: string }): Promise<Redis> {
  const r = new Redis({
    port: fleet.redisPort,
    host: '127.0.0.1',
    username: user.username,
    password: user.password,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  r.on('error', () => {});
  clients.push(r);
  await r.connect();
  return r;
}

async function chat(g: Gateway, secret: string): Promise<Response> {
  return fetch(`${g.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'metered',
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 16,
    }),
  });
}

beforeAll(async () => {
  fleet.redisArgs = ['--aclfile', aclFile];
  fleet.cpRedisAuth = 'control-plane:change-me-control-plane';
  await fleet.start(1);
  admin = new Redis({
    port: fleet.redisPort,
    host: '127.0.0.1',
    username: 'control-plane',
    password: 'change-me-control-plane',
    maxRetriesPerRequest: 1,
  });
  admin.on('error', () => {});
  await fleet.addFakeModel('metered', PRICES);
  for (const [name, extra] of [
    ['plain', {}],
    ['limited', { limits: { requestsPerMinute: 2 } }],
    ['budgeted', { budget: { limitUsd: 100, period: 'monthly', alertThresholds: [] } }],
  ] as const) {
    keys[name] = await fleet.addKey({ name, ...extra });
  }
  // Org B, with a gateway of its own (same Redis, same control plane).
  orgB = (await fleet.api<{ id: string }>('POST', '/orgs', { name: 'ACL Org B' })).id;
  const made = await fleet.api<{ token: string; gateway: { id: string } }>(
    'POST',
    `/orgs/${orgB}/gateway-tokens`,
    { name: 'edge-b' },
  );
  gatewayBId = made.gateway.id;
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-gw-b-'));
  gatewayB = { url: '', stateDir: dir, port: 0, name: 'edge-b', token: made.token, proc: null };
  gatewayB.port = await freePort();
  fleet.gateways.push(gatewayB);
  await fleet.startGateway(gatewayB);
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.disconnect();
  admin?.disconnect();
  await fleet.stop();
  rmSync(aclDir, { recursive: true, force: true });
  if (gatewayB) rmSync(gatewayB.stateDir, { recursive: true, force: true });
}, 60_000);

describe('per-gateway Redis users', () => {
  it('a gateway given no Redis credentials serves key checks, rate limits, budgets and usage as its minted user', async () => {
    const [gw] = fleet.gateways as [Gateway];
    const a = await register(gw.token);
    expect(a.redis?.username).toBe(`portcullis-gw-${a.gateway.id}`);
    // Key checks: a wrong key is refused, a good one served (its key became known through the channel).
    expect((await chat(gw, 'ptc_not-a-key')).status).toBe(401);
    await eventually(async () => (await chat(gw, keys.plain.secret)).status === 200);

    // Rate limits: 2 per minute, shared through the org's limiter keys.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await chat(gw, keys.limited.secret)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    const minute = Math.floor(Date.now() / 60_000);
    const rlKey = `${rateLimitPrefix(a.gateway.orgId, `key:${keys.limited.id}`)}req:${minute}`;
    await eventually(async () => Number(await admin.get(rlKey)) >= 2);

    // Budgets: the grant script and the counter, under the org's budget keys.
    const budgeted = await chat(gw, keys.budgeted.secret);
    expect(budgeted.status).toBe(200);
    const counter = budgetKey(a.gateway.orgId, `key:${keys.budgeted.id}`, periodId('monthly', Date.now()));
    await eventually(async () => Number(await admin.get(counter)) > 0);
    expect(Number(await admin.hlen(budgetGatewaysKey(a.gateway.orgId)))).toBeGreaterThan(0);

    // Usage: every answered request reaches the control plane through the org's stream, signed.
    for (const [name, n] of [
      ['plain', 1],
      ['limited', 4],
      ['budgeted', 1],
    ] as const) {
      await eventually(async () => {
        const k = await fleet.api<{ requestCount: number }>(
          'GET',
          `/orgs/${fleet.orgId}/keys/${keys[name].id}`,
        );
        return k.requestCount === n;
      }, 20_000);
    }
    expect(gw.proc?.output()).not.toMatch(/NOPERM|WRONGPASS|NOAUTH/);
    // Neither process ever prints the gateway's secrets.
    for (const out of [gw.proc?.output() ?? '', fleet.cp?.output() ?? '']) {
      expect(out).not.toContain(a.usageSigningSecret);
      expect(out).not.toContain(a.redis?.password);
    }
  }, 60_000);

  it("a gateway of another organization is refused on org A's channel, usage stream, limiter and budget keys", async () => {
    const [gwA] = fleet.gateways as [Gateway];
    const a = await register(gwA.token);
    const b = await register(gatewayB.token);
    expect(b.gateway.orgId).toBe(orgB);
    expect(b.redis).not.toBeNull();
    const asB = await connectAs(b.redis as { username: string; password: string });
    const orgA = a.gateway.orgId;
    const minute = Math.floor(Date.now() / 60_000);
    const aLimiter = rateLimitPrefix(orgA, `key:${keys.limited.id}`);
    const aBudget = budgetKey(orgA, `key:${keys.budgeted.id}`, periodId('monthly', Date.now()));

    // Its own organization's: allowed (the refusals below are about the organization, not the login).
    expect(await asB.xadd(usageStreamOf(orgB), '*', 'e', '{}')).toMatch(/^\d+-\d+$/);
    expect(await asB.incrby(`${rateLimitPrefix(orgB, 'key:x')}req:${minute}`, 1)).toBe(1);
    expect(await asB.get(budgetKey(orgB, 'key:x', 'life'))).toBeNull();

    const refused = async (what: string, op: () => Promise<unknown>) => {
      await expect(op(), what).rejects.toThrow(/NOPERM/);
    };
    // Subscribe to another org's snapshot channel (and no publishing anywhere: no forged deltas).
    const sub = await connectAs(b.redis as { username: string; password: string });
    await refused('subscribe A', () => sub.subscribe(snapshotChannel(orgA)));
    await refused('publish own', () => asB.publish(snapshotChannel(orgB), '{}'));
    // Write another org's usage stream; read any stream; forge dead letters.
    await refused('xadd A usage', () => asB.xadd(usageStreamOf(orgA), '*', 'e', '{}'));
    await refused('xrange own usage', () => asB.xrange(usageStreamOf(orgB), '-', '+'));
    await refused('xadd dead letter', () => asB.xadd(USAGE_DEAD_LETTER_STREAM, '*', 'dl_class', 'x'));
    // Touch another org's limiter keys.
    await refused('incrby A limiter', () => asB.incrby(`${aLimiter}req:${minute}`, 1000));
    await refused('get A limiter', () => asB.get(`${aLimiter}req:${minute}`));
    await refused('hset A concurrency', () => asB.hset(`${aLimiter}conc`, 'x', `1000:${Date.now()}`));
    // Touch another org's budget keys, directly or from a script.
    await refused('set A budget', () => asB.set(aBudget, '0'));
    await refused('incrby A budget', () => asB.incrby(aBudget, -1_000_000));
    await refused('eval on A budget', () => asB.eval("return redis.call('SET', KEYS[1], '0')", 1, aBudget));
    await refused('hset A gateways', () => asB.hset(budgetGatewaysKey(orgA), 'x', '1'));
    // Nothing else: no key listing, no other command.
    await refused('scan', () => asB.scan(0));
    await refused('flushall', () => asB.flushall());
    // Org A's counters are as gateway A left them.
    expect(Number(await admin.get(`${aLimiter}req:${minute}`))).toBeLessThan(1000);
  }, 60_000);

  it('a gateway cannot send Redis a script of its own (one that never ends would stall every organization); it runs the grant by SHA', async () => {
    const b = await register(gatewayB.token);
    const asB = await connectAs(b.redis as { username: string; password: string });
    // Harmless here, but any EVAL is refused: Redis checks a script's keys, not how long it runs.
    await expect(asB.eval('return 1', 0)).rejects.toThrow(/NOPERM/);
    await expect(asB.call('SCRIPT', 'LOAD', 'return 1')).rejects.toThrow(/NOPERM/);
    await expect(
      asB.call('FUNCTION', 'LOAD', '#!lua name=x\nredis.register_function("x", function() return 1 end)'),
    ).rejects.toThrow(/NOPERM/);
    // The control plane loaded the ledger's script: the gateway runs it by SHA, on its own org's keys only.
    const sha = createHash('sha1').update(BUDGET_GRANT_SCRIPT).digest('hex');
    const own = budgetKey(orgB, 'key:evalsha', 'life');
    expect(await asB.evalsha(sha, 1, own, 0, 1000, 10, 10, 1, 0)).toEqual([10, 10]);
    await expect(
      asB.evalsha(sha, 1, budgetKey(fleet.orgId, 'key:evalsha', 'life'), 0, 1000, 10, 10, 1, 0),
    ).rejects.toThrow(/NOPERM|can't access/);
  }, 60_000);

  it('restarted while the control plane is down, a gateway signs and reaches Redis with its cached credentials', async () => {
    const [gw] = fleet.gateways as [Gateway];
    const before = (
      await fleet.api<{ requestCount: number }>('GET', `/orgs/${fleet.orgId}/keys/${keys.plain.id}`)
    ).requestCount;
    await fleet.stopControlPlane();
    await fleet.stopGateway(gw);
    await fleet.startGateway(gw);
    const requestId = `acl-restart-${Date.now()}`;
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keys.plain.secret}`,
        'content-type': 'application/json',
        'x-request-id': requestId,
      },
      body: JSON.stringify({ model: 'metered', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16 }),
    });
    expect(res.status).toBe(200);
    // In the org's stream (written as its minted user), signed, while nobody consumes it.
    await eventually(async () => {
      const entries = (await admin.xrange(usageStreamOf(fleet.orgId), '-', '+')) as [string, string[]][];
      return entries.some(([, f]) => (f[1] ?? '').includes(requestId) && (f[1] ?? '').includes('"sig":"v1.'));
    }, 15_000);
    await fleet.startControlPlane();
    await eventually(async () => {
      const k = await fleet.api<{ requestCount: number }>(
        'GET',
        `/orgs/${fleet.orgId}/keys/${keys.plain.id}`,
      );
      return k.requestCount === before + 1;
    }, 20_000);
    expect(gw.proc?.output()).not.toMatch(/NOPERM|WRONGPASS|NOAUTH/);
  }, 90_000);

  it('removing a gateway deletes its Redis user: its password stops working and its connections are closed', async () => {
    const b = await register(gatewayB.token);
    const creds = b.redis as { username: string; password: string };
    const open = await connectAs(creds);
    expect(await open.ping()).toBe('PONG');
    await fleet.api('DELETE', `/orgs/${orgB}/gateways/${gatewayBId}`);
    const probe = new Redis({
      port: fleet.redisPort,
      host: '127.0.0.1',
      lazyConnect: true,
      enableReadyCheck: false,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    clients.push(probe);
    await probe.connect();
    await expect(probe.call('AUTH', creds.username, creds.password)).rejects.toThrow(/WRONGPASS/);
    await eventually(async () => open.status === 'end' || open.status === 'close');
    // Gateway A keeps working.
    const [gwA] = fleet.gateways as [Gateway];
    expect((await chat(gwA, keys.plain.secret)).status).toBe(200);
  }, 60_000);
});
