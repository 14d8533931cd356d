/**
 * Redis down must not block or break the control plane: API calls succeed, deltas wait in the outbox
 * and go out, in order, when Redis is back. A separate control plane, database and Redis server, so
 * the outage touches nothing else.
 */
import { type SnapshotMessage, SnapshotMessageSchema, snapshotChannel } from '@portcullis/shared/snapshot';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  type RunningProcess,
  startControlPlane,
} from '@portcullis/testing/processes';
import { startRedisServer } from '@portcullis/testing/redis-server';
import { request } from '@portcullis/testing/rest';
import { eventually } from '@portcullis/testing/wait';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MASTER_KEY } from './global-setup';

let db: string;
let cp: RunningProcess;
let base: string;
let redisPort: number;
let redis: RunningProcess | null = null;

async function startRedis(): Promise<void> {
  redis = await startRedisServer({ port: redisPort });
}

async function stopRedis(): Promise<void> {
  await redis?.stop();
  redis = null;
}

const call = <T>(method: string, path: string, token?: string, body?: unknown) =>
  request<T>(method, `${base}/api/v1${path}`, { token, body });

beforeAll(async () => {
  db = await createDatabase('portcullis_redis');
  redisPort = await freePort();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  cp = await startControlPlane({
    DATABASE_URL: databaseUrl(db),
    PORT: String(port),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    PORTCULLIS_MASTER_KEY: TEST_MASTER_KEY,
    BOOTSTRAP_ADMIN_EMAIL: 'redis@portcullis.test',
    BOOTSTRAP_ADMIN_PASSWORD: 'redis-password-1',
    BOOTSTRAP_ORG_NAME: 'Redis Org',
  });
});

afterAll(async () => {
  await cp?.stop();
  await stopRedis();
  await dropDatabase(db);
});

describe('with Redis down', () => {
  it('keeps answering, then publishes the backlog in order once Redis is back', async () => {
    const login = await call<{ token: string; organizations: { id: string }[] }>(
      'POST',
      '/auth/login',
      undefined,
      {
        email: 'redis@portcullis.test',
        password: 'redis-password-1',
      },
    );
    const token = login.body.token;
    const orgId = login.body.organizations[0]?.id ?? '';

    // Redis is not started yet: a change that waited on it would hang here until the test times out.
    const created = await call<{ key: { id: string } }>('POST', `/orgs/${orgId}/keys`, token, { name: 'k' });
    expect(created.status).toBe(201);
    const deact = await call('POST', `/orgs/${orgId}/keys/${created.body.key.id}/deactivate`, token);
    expect(deact.status).toBe(200);

    await startRedis();
    const messages: SnapshotMessage[] = [];
    const sub = new Redis(redisPort, '127.0.0.1');
    sub.on('message', (_c: string, text: string) =>
      messages.push(SnapshotMessageSchema.parse(JSON.parse(text))),
    );
    await sub.subscribe(snapshotChannel(orgId));
    // Let the control plane reconnect, then one more change: the backlog must precede it.
    await eventually(
      () => messages.some((m) => m.kind === 'heartbeat'),
      30_000,
      'a heartbeat after reconnecting',
    );
    await call('POST', `/orgs/${orgId}/keys/${created.body.key.id}/revoke`, token);
    const isRevocation = (m: SnapshotMessage) =>
      m.kind === 'delta' && m.changes.some((c) => c.op === 'upsert_key' && c.value.status === 'revoked');
    await eventually(() => messages.some(isRevocation), 30_000, 'the revocation delta');
    await sub.quit();

    const deltas = messages.filter((m) => m.kind === 'delta');
    // The backlog may have gone out before we subscribed (pub/sub is at-most-once); what arrives is
    // ordered and contiguous, and the revocation is among it.
    for (let i = 1; i < deltas.length; i++) expect(deltas[i]?.fromVersion).toBe(deltas[i - 1]?.toVersion);
    const last = deltas[deltas.length - 1];
    expect(last?.changes[0]?.op === 'upsert_key' && last.changes[0].value.status).toBe('revoked');
    const beats = messages.filter((m) => m.kind === 'heartbeat');
    expect(beats.length).toBeGreaterThan(0);

    // Down again: still answering.
    await stopRedis();
    const later = await call('POST', `/orgs/${orgId}/keys`, token, { name: 'k2' });
    expect(later.status).toBe(201);

    const out = cp.output();
    expect(out.match(/Redis at 127\.0\.0\.1:\d+ is unreachable/g)?.length).toBeGreaterThanOrEqual(1);
    expect(out).toMatch(/Redis at 127\.0\.0\.1:\d+ is reachable again/);
    // One line per outage, not one per retry: wait for the second outage's line, then give retries
    // time to (wrongly) print more.
    const unreachable = () => cp.output().match(/Redis at 127\.0\.0\.1:\d+ is unreachable/g)?.length ?? 0;
    await eventually(() => unreachable() >= 2, 30_000, 'the second outage reported');
    await new Promise((r) => setTimeout(r, 1500));
    // The publisher says it exactly once per outage; every other component at most once per outage.
    const final = cp.output();
    expect(final.match(/Redis at 127\.0\.0\.1:\d+ is unreachable/g)?.length).toBe(2);
    const perMessage = new Map<string, number>();
    for (const line of final.split('\n')) {
      const m = /(\[\w+\] )?[^[]*is unreachable/.exec(line);
      if (m) perMessage.set(m[0], (perMessage.get(m[0]) ?? 0) + 1);
    }
    for (const [message, count] of perMessage) expect([message, count <= 2]).toEqual([message, true]);
    expect(cp.output()).not.toMatch(/ERROR/);
  });
});
