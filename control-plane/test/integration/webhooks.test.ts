/**
 * Webhook endpoints and deliveries through a real control plane (own database, private redis-server for
 * BullMQ) and a real receiver in the test that verifies every signature.
 */
import { open } from '@portcullis/shared/crypto';
import type { WebhookDeliveryView, WebhookPayload, WebhookView } from '@portcullis/shared/webhooks';
import { databaseUrl } from '@portcullis/testing/processes';
import { waitFor } from '@portcullis/testing/wait';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MASTER_KEY } from './global-setup';
import { type ErrorBody, Receiver, Stack } from './webhooks-harness';

// The expiry sweep runs every half second here, so a key's expiry is announced promptly.
const stack = new Stack({ KEY_EXPIRY_SWEEP_INTERVAL_MS: '500' });
const receiver = new Receiver();
let orgId: string;
let admin: string;
let member: string;
const hooks = () => `/orgs/${orgId}/webhooks`;

interface Created {
  webhook: WebhookView;
  secret: string;
}

async function createHook(body: Record<string, unknown> = {}): Promise<Created> {
  const r = await stack.call<Created>('POST', hooks(), admin, { url: receiver.url, ...body });
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
  return r.body;
}

async function deliveries(hookId: string): Promise<WebhookDeliveryView[]> {
  const r = await stack.call<{ data: WebhookDeliveryView[] }>(
    'GET',
    `${hooks()}/${hookId}/deliveries`,
    admin,
  );
  expect(r.status).toBe(200);
  return r.body.data;
}

/** Waits until the delivery is no longer pending. */
const settled = (hookId: string, id: string) =>
  waitFor(async () => {
    const d = (await deliveries(hookId)).find((x) => x.id === id);
    return d && d.status !== 'pending' ? d : undefined;
  }, `delivery ${id} to settle`);

async function withDb<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: databaseUrl(stack.db) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await receiver.start();
  await stack.start();
  ({ orgId, admin, member } = await stack.newOrg());
});

afterAll(async () => {
  await stack.stop();
  await receiver.stop();
});

describe('webhook endpoints', () => {
  it('create shows the secret once; get, list and delete never do; the secret is sealed at rest', async () => {
    stack.seen.length = 0;
    const { webhook, secret } = await createHook({ description: 'ops alerts' });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(webhook).toEqual({
      id: expect.any(String),
      url: receiver.url,
      description: 'ops alerts',
      events: ['budget.threshold', 'key.expired', 'webhook.test'],
      secretPreview: `whsec_…${secret.slice(-4)}`,
      createdAt: expect.any(String),
    });

    const one = await stack.call<WebhookView>('GET', `${hooks()}/${webhook.id}`, admin);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(webhook);
    const list = await stack.call<{ data: WebhookView[]; nextCursor: string | null }>('GET', hooks(), admin);
    expect(list.status).toBe(200);
    expect(list.body.data.map((w) => w.id)).toContain(webhook.id);
    const audit = await stack.call('GET', `/orgs/${orgId}/audit-events?action=webhook.created`, admin);
    expect(audit.text).toContain(webhook.id);

    expect(stack.seen.filter((b) => b.includes(secret.slice(6)))).toHaveLength(1);
    const row = await withDb(async (c) => {
      const r = await c.query('SELECT secret_sealed, secret_preview FROM webhooks WHERE id = $1', [
        webhook.id,
      ]);
      return r.rows[0] as { secret_sealed: string; secret_preview: string };
    });
    expect(row.secret_sealed).not.toContain(secret.slice(6));
    expect(open(Buffer.from(TEST_MASTER_KEY, 'base64'), row.secret_sealed, webhook.id)).toBe(secret);
    expect(stack.output()).not.toContain(secret.slice(6));

    const del = await stack.call('DELETE', `${hooks()}/${webhook.id}`, admin);
    expect(del.status).toBe(204);
    expect((await stack.call('GET', `${hooks()}/${webhook.id}`, admin)).status).toBe(404);
    const deleted = await stack.call<{ data: { action: string; target: unknown; before: unknown }[] }>(
      'GET',
      `/orgs/${orgId}/audit-events?action=webhook.deleted`,
      admin,
    );
    expect(deleted.body.data[0]).toMatchObject({
      action: 'webhook.deleted',
      target: { type: 'webhook', id: webhook.id },
      before: { id: webhook.id, url: receiver.url, secretPreview: webhook.secretPreview },
    });
    expect(deleted.text).not.toContain(secret.slice(6));
  });

  it('takes a subset of event types and pages the list', async () => {
    const a = await createHook({ events: ['budget.threshold'] });
    expect(a.webhook.events).toEqual(['budget.threshold']);
    expect(a.webhook.description).toBeNull();
    await createHook();
    const page1 = await stack.call<{ data: WebhookView[]; nextCursor: string | null }>(
      'GET',
      `${hooks()}?limit=1`,
      admin,
    );
    expect(page1.body.data).toHaveLength(1);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await stack.call<{ data: WebhookView[]; nextCursor: string | null }>(
      'GET',
      `${hooks()}?limit=1&cursor=${page1.body.nextCursor}`,
      admin,
    );
    expect(page2.body.data).toHaveLength(1);
    expect(page2.body.data[0]?.id).not.toBe(page1.body.data[0]?.id);
    const bad = await stack.call<ErrorBody>('GET', `${hooks()}?cursor=nope!`, admin);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details?.[0]?.field).toBe('cursor');
  });

  it('refuses bad input with 400 naming the field, and changes nothing', async () => {
    const before = (await stack.call<{ data: unknown[] }>('GET', `${hooks()}?limit=200`, admin)).body.data
      .length;
    const cases: [unknown, string][] = [
      [{}, 'url'],
      [{ url: 42 }, 'url'],
      [{ url: 'ftp://example.com/hook' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: `https://example.com/${'a'.repeat(2048)}` }, 'url'],
      [{ url: 'https://example.com/hook', events: ['nope'] }, 'events.0'],
      [{ url: 'https://example.com/hook', events: [] }, 'events'],
      [{ url: 'https://example.com/hook', events: 'webhook.test' }, 'events'],
      [{ url: 'https://example.com/hook', description: 'x'.repeat(501) }, 'description'],
      [{ url: 'https://example.com/hook', secret: 'mine' }, 'secret'],
      // The SSRF guard: private, loopback (unless allowlisted), link-local, local names, credentials.
      [{ url: 'http://10.0.0.5/hook' }, 'url'],
      [{ url: 'http://169.254.169.254/latest/meta-data' }, 'url'],
      [{ url: 'http://localhost:8080/hook' }, 'url'],
      [{ url: 'http://[::1]/hook' }, 'url'],
      [{ url: 'http://167772165/hook' }, 'url'],
      [{ url: 'http://user:pw@example.com/hook' }, 'url'],
      [{ url: 'https://example.com/hook#frag' }, 'url'],
    ];
    for (const [body, field] of cases) {
      const r = await stack.call<ErrorBody>('POST', hooks(), admin, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      expect(
        r.body.error.details?.map((d) => d.field),
        JSON.stringify(body),
      ).toContain(field);
    }
    const ssrf = await stack.call<ErrorBody>('POST', hooks(), admin, { url: 'http://10.0.0.5/hook' });
    expect(ssrf.body.error.details?.[0]?.message).toMatch(/private.*WEBHOOK_ALLOWLIST/);
    const notJson = await stack.call<ErrorBody>('POST', hooks(), admin, '[1,2]');
    expect(notJson.status).toBe(400);
    const after = (await stack.call<{ data: unknown[] }>('GET', `${hooks()}?limit=200`, admin)).body.data
      .length;
    expect(after).toBe(before);
    // A public URL with a query string is fine (receivers often carry a token there).
    const ok = await stack.call('POST', hooks(), admin, { url: 'https://hooks.example.com/in?token=abc' });
    expect(ok.status).toBe(201);
  });

  it('is for admins of the organization only', async () => {
    const { webhook } = await createHook();
    const other = await stack.newOrg();
    const routes: [string, string][] = [
      ['GET', hooks()],
      ['POST', hooks()],
      ['GET', `${hooks()}/${webhook.id}`],
      ['DELETE', `${hooks()}/${webhook.id}`],
      ['POST', `${hooks()}/${webhook.id}/test`],
      ['GET', `${hooks()}/${webhook.id}/deliveries`],
    ];
    for (const [method, path] of routes) {
      const body = method === 'POST' ? { url: receiver.url } : undefined;
      expect((await stack.call(method, path, undefined, body)).status, `${method} ${path} anonymous`).toBe(
        401,
      );
      expect((await stack.call(method, path, member, body)).status, `${method} ${path} member`).toBe(403);
      const foreign = await stack.call<ErrorBody>(method, path, other.admin, body);
      expect(foreign.status, `${method} ${path} other admin`).toBe(404);
    }
    // Another org's admin, in their own org, addressing this org's webhook: not found either.
    const theirs = `/orgs/${other.orgId}/webhooks/${webhook.id}`;
    for (const [method, path] of [
      ['GET', theirs],
      ['DELETE', theirs],
      ['POST', `${theirs}/test`],
      ['GET', `${theirs}/deliveries`],
    ] as const) {
      expect((await stack.call(method, path, other.admin)).status, `${method} ${path}`).toBe(404);
    }
    const theirList = await stack.call<{ data: WebhookView[] }>(
      'GET',
      `/orgs/${other.orgId}/webhooks`,
      other.admin,
    );
    expect(theirList.body.data).toEqual([]);
    expect((await stack.call('GET', `${hooks()}/not-a-uuid`, admin)).status).toBe(404);
    // Still there, untouched.
    expect((await stack.call('GET', `${hooks()}/${webhook.id}`, admin)).status).toBe(200);
  });
});

describe('deliveries', () => {
  it('a test delivery arrives signed; the receiver verifies it and refuses a replay', async () => {
    const { webhook, secret } = await createHook();
    receiver.secret = secret;
    receiver.script = [];
    const from = receiver.received.length;
    const queued = await stack.call<{ delivery: WebhookDeliveryView }>(
      'POST',
      `${hooks()}/${webhook.id}/test`,
      admin,
    );
    expect(queued.status).toBe(202);
    expect(queued.body.delivery).toMatchObject({
      webhookId: webhook.id,
      type: 'webhook.test',
      status: 'pending',
      attempts: 0,
      lastStatusCode: null,
      lastError: null,
      deliveredAt: null,
    });

    const done = await settled(webhook.id, queued.body.delivery.id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, lastStatusCode: 200, lastError: null });
    expect(done.deliveredAt).toEqual(expect.any(String));
    expect(done.attemptLog).toEqual([
      { at: expect.any(String), statusCode: 200, error: null, durationMs: expect.any(Number) },
    ]);

    const got = receiver.received.slice(from);
    expect(got).toHaveLength(1);
    const req = got[0];
    if (!req) throw new Error('nothing received');
    expect(req.verified).toBe(true);
    expect(req.status).toBe(200);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['portcullis-webhook-id']).toBe(queued.body.delivery.id);
    expect(req.headers['portcullis-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const payload = JSON.parse(req.raw) as WebhookPayload<{ webhookId: string }>;
    expect(payload).toEqual({
      id: queued.body.delivery.id,
      type: 'webhook.test',
      createdAt: queued.body.delivery.createdAt,
      data: { webhookId: webhook.id, message: expect.any(String) },
    });

    // The same request again (a replay): verified signature, but an id already processed.
    expect(await receiver.replay(req)).toBe(409);
    // The body changed under the same signature: refused before anything else.
    expect(await receiver.replay(req, req.raw.replace('webhook.test', 'budget.threshold'))).toBe(400);
  });

  it('retries failures with backoff: 500, 500, 200 → 3 attempts, succeeded', async () => {
    const { webhook, secret } = await createHook();
    receiver.secret = secret;
    receiver.script = [500, 500, 200];
    const from = receiver.received.length;
    const queued = await stack.call<{ delivery: WebhookDeliveryView }>(
      'POST',
      `${hooks()}/${webhook.id}/test`,
      admin,
    );
    const done = await settled(webhook.id, queued.body.delivery.id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 3, lastStatusCode: 200, lastError: null });
    expect(done.attemptLog.map((a) => [a.statusCode, a.error])).toEqual([
      [500, 'the receiver answered 500'],
      [500, 'the receiver answered 500'],
      [200, null],
    ]);
    const got = receiver.received.slice(from);
    expect(got.map((r) => r.status)).toEqual([500, 500, 200]);
    // Every attempt is the same delivery, byte for byte, each freshly signed.
    expect(new Set(got.map((r) => r.headers['portcullis-webhook-id']))).toEqual(
      new Set([queued.body.delivery.id]),
    );
    expect(new Set(got.map((r) => r.raw)).size).toBe(1);
    expect(got.every((r) => r.verified)).toBe(true);
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS and says why; an unreachable receiver is a failure too', async () => {
    const { webhook, secret } = await createHook();
    receiver.secret = secret;
    receiver.script = [503, 503, 503, 503];
    const queued = await stack.call<{ delivery: WebhookDeliveryView }>(
      'POST',
      `${hooks()}/${webhook.id}/test`,
      admin,
    );
    const done = await settled(webhook.id, queued.body.delivery.id);
    expect(done).toMatchObject({ status: 'failed', attempts: 4, lastStatusCode: 503 });
    expect(done.lastError).toBe('the receiver answered 503');
    expect(done.deliveredAt).toBeNull();

    // Nothing listens on this port: connection refused, recorded as the error.
    const dead = await createHook({ url: 'http://127.0.0.1:9/hooks' });
    const q2 = await stack.call<{ delivery: WebhookDeliveryView }>(
      'POST',
      `${hooks()}/${dead.webhook.id}/test`,
      admin,
    );
    const failed = await settled(dead.webhook.id, q2.body.delivery.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 4, lastStatusCode: null });
    expect(failed.lastError).toMatch(/ECONNREFUSED/);
  });

  it('deleting an endpoint drops its deliveries', async () => {
    const { webhook, secret } = await createHook();
    receiver.secret = secret;
    await stack.call('POST', `${hooks()}/${webhook.id}/test`, admin);
    expect(await deliveries(webhook.id)).toHaveLength(1);
    expect((await stack.call('DELETE', `${hooks()}/${webhook.id}`, admin)).status).toBe(204);
    expect((await stack.call('GET', `${hooks()}/${webhook.id}/deliveries`, admin)).status).toBe(404);
  });

  it('a delivery asked for while Redis is down goes out once Redis is back', async () => {
    const { webhook, secret } = await createHook();
    receiver.secret = secret;
    receiver.script = [];
    await stack.stopRedis();
    const queued = await stack.call<{ delivery: WebhookDeliveryView }>(
      'POST',
      `${hooks()}/${webhook.id}/test`,
      admin,
    );
    // Accepted and recorded in Postgres without Redis.
    expect(queued.status).toBe(202);
    expect((await deliveries(webhook.id)).map((d) => [d.id, d.status])).toEqual([
      [queued.body.delivery.id, 'pending'],
    ]);
    await stack.startRedis();
    const done = await settled(webhook.id, queued.body.delivery.id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, lastStatusCode: 200 });
  });

  it('a retry pending while the control plane restarts is still delivered', async () => {
    // Long backoff, so the retry is certainly still waiting in Redis when the process stops.
    await stack.stopControlPlane();
    await stack.startControlPlane({ WEBHOOK_BACKOFF_MS: '3000' });
    const { webhook, secret } = await createHook();
    receiver.secret = secret;
    receiver.script = [500];
    const from = receiver.received.length;
    const queued = await stack.call<{ delivery: WebhookDeliveryView }>(
      'POST',
      `${hooks()}/${webhook.id}/test`,
      admin,
    );
    const id = queued.body.delivery.id;
    await waitFor(async () => {
      const d = (await deliveries(webhook.id)).find((x) => x.id === id);
      return d && d.attempts === 1 ? d : undefined;
    }, 'the first attempt');
    await stack.stopControlPlane();
    expect(receiver.received.slice(from).map((r) => r.status)).toEqual([500]);

    await stack.startControlPlane();
    const done = await settled(webhook.id, id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, lastStatusCode: 200 });
    const got = receiver.received.slice(from);
    expect(got.map((r) => r.status)).toEqual([500, 200]);
    expect(got.every((r) => r.verified && r.headers['portcullis-webhook-id'] === id)).toBe(true);
  });
});

describe('key.expired', () => {
  it('a key whose expiry passes is announced once to the endpoints that subscribe to key.expired', async () => {
    const { webhook, secret } = await createHook({ events: ['key.expired'] });
    const other = await createHook({ events: ['budget.threshold'] });
    receiver.secret = secret;
    receiver.script = [];
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const made = await stack.call<{ key: { id: string; name: string; ownerId: string } }>(
      'POST',
      `/orgs/${orgId}/keys`,
      admin,
      { name: 'short-lived', expiresAt },
    );
    expect(made.status).toBe(201);
    const first = await waitFor(async () => {
      const d = (await deliveries(webhook.id)).filter((x) => x.type === 'key.expired');
      return d.length > 0 && d.every((x) => x.status !== 'pending') ? d : undefined;
    }, 'the key.expired delivery');
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ status: 'succeeded', attempts: 1 });
    // (Endpoints made by earlier tests subscribe to every event type and get their own deliveries.)
    const mine = receiver.received.filter((r) => r.headers['portcullis-webhook-id'] === first[0]?.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.verified).toBe(true);
    expect(JSON.parse(mine[0]?.raw ?? '{}').data).toEqual({
      keyId: made.body.key.id,
      keyName: 'short-lived',
      ownerId: made.body.key.ownerId,
      expiresAt: new Date(expiresAt).toISOString(),
    });
    // A later sweep has run once a key expiring after this one (sweeps go in expiry order) is audited
    // key.expired; in another organization, so it adds no delivery here.
    const elsewhere = await stack.newOrg();
    const later = await stack.call<{ key: { id: string } }>(
      'POST',
      `/orgs/${elsewhere.orgId}/keys`,
      elsewhere.admin,
      {
        name: 'expires later',
        expiresAt: new Date(Date.now() + 500).toISOString(),
      },
    );
    expect(later.status).toBe(201);
    await waitFor(async () => {
      const audit = await stack.call<{ data: unknown[] }>(
        'GET',
        `/orgs/${elsewhere.orgId}/audit-events?targetId=${later.body.key.id}&action=key.expired`,
        elsewhere.admin,
      );
      return audit.body.data.length > 0 ? true : undefined;
    }, 'a later key.expired');
    // Still one delivery, and none to the endpoint that did not subscribe.
    expect((await deliveries(webhook.id)).filter((x) => x.type === 'key.expired')).toHaveLength(1);
    expect(await deliveries(other.webhook.id)).toHaveLength(0);
  });
});

describe('OpenAPI', () => {
  it('describes the webhook routes', async () => {
    const res = await fetch(`${stack.base}/api/openapi.json`);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const described = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p}`),
    );
    expect(described).toEqual(
      expect.arrayContaining([
        'get /api/v1/orgs/{org}/webhooks',
        'post /api/v1/orgs/{org}/webhooks',
        'get /api/v1/orgs/{org}/webhooks/{id}',
        'delete /api/v1/orgs/{org}/webhooks/{id}',
        'post /api/v1/orgs/{org}/webhooks/{id}/test',
        'get /api/v1/orgs/{org}/webhooks/{id}/deliveries',
      ]),
    );
    const body = doc.paths['/api/v1/orgs/{org}/webhooks']?.post as {
      requestBody: { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } };
    };
    expect(Object.keys(body.requestBody.content['application/json'].schema.properties).sort()).toEqual([
      'description',
      'events',
      'url',
    ]);
  });
});
