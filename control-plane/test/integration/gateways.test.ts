import { open } from '@portcullis/shared/crypto';
import { parseSnapshot, SnapshotMessageSchema, snapshotChannel } from '@portcullis/shared/snapshot';
import { waitFor } from '@portcullis/testing/wait';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createKey, type ErrorBody, newOrg, type SignedIn, unique } from './client';
import { TEST_REDIS_URL } from './global-setup';

interface GatewayView {
  id: string;
  name: string;
  snapshotVersion: number | null;
  lag: number | null;
  lastSeenAt: string | null;
  status: string;
}

let orgId: string;
let admin: SignedIn;
const orgPath = () => `/api/v1/orgs/${orgId}`;

async function gatewayToken(
  name = unique('edge'),
): Promise<{ token: string; gateway: { id: string; name: string } }> {
  const res = await api<{ token: string; gateway: { id: string; name: string } }>(
    'POST',
    `${orgPath()}/gateway-tokens`,
    { token: admin.token, body: { name } },
  );
  if (res.status !== 201) throw new Error(`gateway token failed: ${res.status} ${res.text}`);
  return res.body;
}

const gw = <T>(method: string, path: string, token: string, body?: unknown) =>
  api<T>(method, `/api/v1/gateway/${path}`, { token, body });

beforeAll(async () => {
  ({ orgId, admin } = await newOrg());
});

describe('gateway tokens, registration, snapshot, heartbeat', () => {
  it('token once; register hands out the snapshot key; the snapshot opens with it', async () => {
    const created = await gatewayToken('edge-eu-1');
    expect(created.token).toMatch(/^ptcg_[0-9A-Za-z]{43}$/);
    expect(created.gateway.name).toBe('edge-eu-1');

    // Something to put in the snapshot: a key, a revoked key, a credential and a model.
    const live = await createKey(orgId, admin.token, { name: 'live' });
    const dead = await createKey(orgId, admin.token, { name: 'dead' });
    await api('POST', `${orgPath()}/keys/${dead.key.id}/revoke`, { token: admin.token });
    const secret = 'sk-upstream-0123456789abcdefghijklmnop';
    const cred = await api<{ id: string }>('POST', `${orgPath()}/provider-credentials`, {
      token: admin.token,
      body: {
        name: 'fake',
        provider: 'openai_compatible',
        secret,
        config: { baseUrl: 'http://127.0.0.1:9/v1' },
      },
    });
    const model = await api<{ id: string }>('POST', `${orgPath()}/models`, {
      token: admin.token,
      body: {
        slug: 'gpt-4o-mini',
        credentialId: cred.body.id,
        upstreamModel: 'gpt-4o-mini',
        inputPricePerMTok: 0.15,
        outputPricePerMTok: 0.6,
      },
    });

    const before = await api<{ data: GatewayView[] }>('GET', `${orgPath()}/gateways`, { token: admin.token });
    expect(before.body.data.find((g) => g.id === created.gateway.id)).toMatchObject({
      status: 'never_seen',
      lag: null,
      snapshotVersion: null,
      lastSeenAt: null,
    });

    const reg = await gw<{ gateway: { id: string; orgId: string }; snapshotKey: string }>(
      'POST',
      'register',
      created.token,
      {
        instanceId: 'edge-eu-1-a',
        version: '0.1.0',
      },
    );
    expect(reg.status, reg.text).toBe(200);
    expect(reg.body.gateway).toMatchObject({ id: created.gateway.id, orgId, name: 'edge-eu-1' });
    const snapshotKey = Buffer.from(reg.body.snapshotKey, 'base64url');
    expect(snapshotKey).toHaveLength(32);
    // Registering again returns the same key.
    const again = await gw<{ snapshotKey: string }>('POST', 'register', created.token, {
      instanceId: 'edge-eu-1-b',
    });
    expect(again.body.snapshotKey).toBe(reg.body.snapshotKey);

    const snap = await gw<unknown>('GET', 'snapshot', created.token);
    expect(snap.status).toBe(200);
    expect(snap.text).not.toContain(secret);
    const parsed = parseSnapshot(snap.body);
    expect(parsed.orgId).toBe(orgId);
    const liveKey = parsed.keys.find((k) => k.id === live.key.id);
    const deadKey = parsed.keys.find((k) => k.id === dead.key.id);
    expect(liveKey).toMatchObject({ status: 'active', ownerStatus: 'active' });
    expect(liveKey?.secretHash).toMatch(/^\$argon2id\$/);
    expect(deadKey).toMatchObject({ status: 'revoked', secretHash: null });
    const c = parsed.credentials.find((x) => x.id === cred.body.id);
    expect(c).toBeDefined();
    expect(open(snapshotKey, c?.sealedSecret ?? '', cred.body.id)).toBe(secret);
    expect(parsed.models.find((m) => m.id === model.body.id)).toMatchObject({
      slug: 'gpt-4o-mini',
      credentialId: cred.body.id,
      inputPricePerMTok: 0.15,
      enabled: true,
    });

    const hb = await gw<{ version: number }>('POST', 'heartbeat', created.token, {
      instanceId: 'edge-eu-1-b',
      snapshotVersion: parsed.version - 2,
    });
    expect(hb.status).toBe(200);
    expect(hb.body.version).toBeLessThanOrEqual(parsed.version);
    const after = await api<{ data: (GatewayView & { instanceId: string })[] }>(
      'GET',
      `${orgPath()}/gateways`,
      {
        token: admin.token,
      },
    );
    const row = after.body.data.find((g) => g.id === created.gateway.id);
    expect(row).toMatchObject({
      status: 'online',
      snapshotVersion: parsed.version - 2,
      instanceId: 'edge-eu-1-b',
    });
    expect(row?.lag).toBeGreaterThanOrEqual(2);
    expect(Date.parse(row?.lastSeenAt ?? '')).toBeGreaterThan(Date.now() - 10_000);
  });

  it('bad, unknown and deleted gateway tokens get 401; session tokens are not gateway tokens', async () => {
    const created = await gatewayToken();
    for (const token of [
      undefined,
      'ptcg_short',
      `ptcg_${'A'.repeat(43)}`,
      admin.token,
      `${created.token}x`,
    ]) {
      const res = await gw<ErrorBody>('GET', 'snapshot', token as string);
      expect(res.status, String(token)).toBe(401);
      expect(res.body.error.code).toBe('unauthenticated');
    }
    expect((await gw('GET', 'snapshot', created.token)).status).toBe(200);
    // A gateway token is not a session either.
    expect((await api('GET', '/api/v1/me', { token: created.token })).status).toBe(401);
    const del = await api('DELETE', `${orgPath()}/gateways/${created.gateway.id}`, { token: admin.token });
    expect(del.status).toBe(204);
    expect((await gw('GET', 'snapshot', created.token)).status).toBe(401);
    expect(
      (await gw('POST', 'heartbeat', created.token, { instanceId: 'x', snapshotVersion: 1 })).status,
    ).toBe(401);
    expect(
      (await api('DELETE', `${orgPath()}/gateways/${created.gateway.id}`, { token: admin.token })).status,
    ).toBe(404);
  });

  it('register and heartbeat bodies are validated', async () => {
    const { token } = await gatewayToken();
    const r1 = await gw<ErrorBody>('POST', 'register', token, {});
    expect(r1.status).toBe(400);
    expect(r1.body.error.details?.map((d) => d.field)).toContain('instanceId');
    const r2 = await gw<ErrorBody>('POST', 'heartbeat', token, { instanceId: 'a', snapshotVersion: -1 });
    expect(r2.status).toBe(400);
    expect(r2.body.error.details?.map((d) => d.field)).toContain('snapshotVersion');
  });

  it('duplicate gateway names are 409; tokens and their creation are audited without the token', async () => {
    const created = await gatewayToken('edge-dup');
    const dup = await api<ErrorBody>('POST', `${orgPath()}/gateway-tokens`, {
      token: admin.token,
      body: { name: 'edge-dup' },
    });
    expect(dup.status).toBe(409);
    const audit = await api('GET', `/api/v1/orgs/${orgId}/audit-events?targetId=${created.gateway.id}`, {
      token: admin.token,
    });
    expect(audit.text).toContain('gateway.token_created');
    expect(audit.text).not.toContain(created.token);
  });
});

describe('snapshot deltas and heartbeats on Redis', () => {
  let sub: Redis;
  let messages: unknown[];
  let o: string;
  let a: SignedIn;

  beforeAll(async () => {
    ({ orgId: o, admin: a } = await newOrg());
    messages = [];
    sub = new Redis(TEST_REDIS_URL);
    sub.on('message', (_channel: string, text: string) => messages.push(JSON.parse(text)));
    await sub.subscribe(snapshotChannel(o));
  });
  afterAll(async () => {
    await sub.quit();
  });

  const deltas = () => messages.map((m) => SnapshotMessageSchema.parse(m)).filter((m) => m.kind === 'delta');

  it('publishes each change as a contiguous, ordered delta carrying the new state', async () => {
    const { key } = await createKey(o, a.token, { name: 'watched' });
    await api('POST', `/api/v1/orgs/${o}/keys/${key.id}/deactivate`, { token: a.token });
    await api('POST', `/api/v1/orgs/${o}/keys/${key.id}/activate`, { token: a.token });
    await api('POST', `/api/v1/orgs/${o}/keys/${key.id}/revoke`, { token: a.token });
    const revoked = await waitFor(() =>
      deltas().find((d) => d.changes.some((c) => c.op === 'upsert_key' && c.value.status === 'revoked')),
    );
    await api('DELETE', `/api/v1/orgs/${o}/keys/${key.id}`, { token: a.token });
    await waitFor(() =>
      deltas().find((d) => d.changes.some((c) => c.op === 'delete_key' && c.id === key.id)),
    );

    const ds = deltas();
    expect(ds.map((d) => d.changes[0]?.op)).toEqual([
      'upsert_key',
      'upsert_key',
      'upsert_key',
      'upsert_key',
      'delete_key',
    ]);
    expect(
      ds.map((d) => {
        const c = d.changes[0];
        return c?.op === 'upsert_key' ? c.value.status : null;
      }),
    ).toEqual(['active', 'inactive', 'active', 'revoked', null]);
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i];
      expect(d?.orgId).toBe(o);
      expect(d?.toVersion).toBe((d?.fromVersion ?? 0) + 1);
      if (i > 0) expect(d?.fromVersion).toBe(ds[i - 1]?.toVersion);
    }
    const rc = revoked.changes[0];
    expect(rc?.op === 'upsert_key' && rc.value.secretHash).toBeNull();
    const first = ds[0]?.changes[0];
    expect(first?.op === 'upsert_key' && first.value.secretHash).toMatch(/^\$argon2id\$/);
  });

  it('credential and model changes travel sealed; a heartbeat carries the current version', async () => {
    messages.length = 0;
    const secret = 'sk-delta-0123456789abcdefghijklmnopqrs';
    const cred = await api<{ id: string }>('POST', `/api/v1/orgs/${o}/provider-credentials`, {
      token: a.token,
      body: { name: 'c', provider: 'anthropic', secret },
    });
    await api('POST', `/api/v1/orgs/${o}/models`, {
      token: a.token,
      body: {
        slug: 'claude',
        credentialId: cred.body.id,
        upstreamModel: 'claude-sonnet-4',
        inputPricePerMTok: 3,
        outputPricePerMTok: 15,
      },
    });
    await api('DELETE', `/api/v1/orgs/${o}/provider-credentials/${cred.body.id}?force=true`, {
      token: a.token,
    });
    const last = await waitFor(() =>
      deltas().find((d) => d.changes.some((c) => c.op === 'delete_credential')),
    );
    expect(last.changes.map((c) => c.op)).toEqual(['delete_model', 'delete_credential']);
    expect(deltas().map((d) => d.changes[0]?.op)).toEqual([
      'upsert_credential',
      'upsert_model',
      'delete_model',
    ]);
    expect(JSON.stringify(messages)).not.toContain(secret);

    const { token } = await (async () => {
      const r = await api<{ token: string }>('POST', `/api/v1/orgs/${o}/gateway-tokens`, {
        token: a.token,
        body: { name: 'g' },
      });
      return r.body;
    })();
    const reg = await gw<{ snapshotKey: string }>('POST', 'register', token, { instanceId: 'i' });
    const upsert = deltas()[0]?.changes[0];
    expect(upsert?.op).toBe('upsert_credential');
    if (upsert?.op === 'upsert_credential') {
      expect(
        open(Buffer.from(reg.body.snapshotKey, 'base64url'), upsert.value.sealedSecret, cred.body.id),
      ).toBe(secret);
    }

    // A heartbeat already on its way when the last change committed may carry an older version; the
    // next ones (every 2 s) carry the current one, and none ever runs ahead of it.
    const beats = () =>
      messages.map((m) => SnapshotMessageSchema.parse(m)).filter((m) => m.kind === 'heartbeat');
    const beat = await waitFor(
      () => beats().find((m) => m.version === last.toVersion),
      'the heartbeat',
      7000,
    );
    expect(beat).toMatchObject({ kind: 'heartbeat', orgId: o, version: last.toVersion });
    for (const b of beats()) expect(b.version).toBeLessThanOrEqual(last.toVersion);
  });
});
