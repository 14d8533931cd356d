import { parseKey } from '@portcullis/shared/keys';
import {
  parseSnapshot,
  type SnapshotChange,
  SnapshotMessageSchema,
  snapshotChannel,
} from '@portcullis/shared/snapshot';
import { waitFor } from '@portcullis/testing/wait';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createKey,
  type ErrorBody,
  newOrg,
  newOrgWithMember,
  type SignedIn,
  seenBodies,
  unique,
} from './client';
import { withDb } from './db';
import { TEST_REDIS_URL } from './global-setup';

// POST /orgs/:org/keys/:id/ephemeral-tokens against the real control plane, Postgres and Redis: who may
// mint, what bad input gets, what is stored, audited and sent to gateways (and what never is).

interface Minted {
  id: string;
  keyId: string;
  prefix: string;
  token: string;
  expiresAt: string;
}
interface AuditEvent {
  action: string;
  target: { type: string; id: string | null };
  actor: { type: string; id: string | null };
  before: unknown;
  after: Record<string, unknown> | null;
}

let orgId: string;
let admin: SignedIn;
let member: SignedIn;
let outsider: SignedIn;
let outsiderOrg: string;
let sub: Redis;
const messages: unknown[] = [];

const tokensPath = (keyId: string, org = orgId) => `/api/v1/orgs/${org}/keys/${keyId}/ephemeral-tokens`;
const mint = (keyId: string, token: string | undefined, body?: unknown, org = orgId) =>
  api<Minted & ErrorBody>('POST', tokensPath(keyId, org), { token, body });

async function minted(keyId: string, body?: unknown, token = admin.token): Promise<Minted> {
  const res = await mint(keyId, token, body);
  if (res.status !== 201) throw new Error(`mint failed: ${res.status} ${res.text}`);
  return res.body;
}

/** The secret part of a token: what must never be stored, logged or returned again. */
const secretOf = (token: string) => {
  const parsed = parseKey(token);
  if (!parsed.ok) throw new Error('not a token');
  return parsed.value.secret;
};

async function gatewayToken(): Promise<string> {
  const res = await api<{ token: string }>('POST', `/api/v1/orgs/${orgId}/gateway-tokens`, {
    token: admin.token,
    body: { name: unique('edge') },
  });
  expect(res.status).toBe(201);
  return res.body.token;
}

async function fullSnapshot(gwToken: string) {
  const res = await api<unknown>('GET', '/api/v1/gateway/snapshot', { token: gwToken });
  expect(res.status).toBe(200);
  return { snapshot: parseSnapshot(res.body), text: res.text };
}

const deltaChanges = (): SnapshotChange[] =>
  messages.map((m) => SnapshotMessageSchema.parse(m)).flatMap((m) => (m.kind === 'delta' ? m.changes : []));

beforeAll(async () => {
  ({ orgId, admin, member } = await newOrgWithMember());
  ({ orgId: outsiderOrg, admin: outsider } = await newOrg());
  sub = new Redis(TEST_REDIS_URL);
  sub.on('message', (_channel: string, text: string) => messages.push(JSON.parse(text)));
  await sub.subscribe(snapshotChannel(orgId));
});

afterAll(async () => {
  await sub?.quit();
});

describe('validation', () => {
  it.each([
    ['zero', { expiresInSeconds: 0 }, 'expiresInSeconds'],
    ['negative', { expiresInSeconds: -1 }, 'expiresInSeconds'],
    ['fractional', { expiresInSeconds: 1.5 }, 'expiresInSeconds'],
    ['over a day', { expiresInSeconds: 86_401 }, 'expiresInSeconds'],
    ['a string', { expiresInSeconds: 'abc' }, 'expiresInSeconds'],
    ['a numeric string', { expiresInSeconds: '60' }, 'expiresInSeconds'],
    ['null', { expiresInSeconds: null }, 'expiresInSeconds'],
    ['an unknown field', { expiresInSeconds: 60, scope: 'read' }, 'scope'],
  ])('%s → 400 invalid_request naming the field', async (_what, body, field) => {
    const { key } = await createKey(orgId, admin.token);
    const res = await mint(key.id, admin.token, body);
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details?.map((d) => d.field)).toEqual([field]);
    const rows = await withDb((c) =>
      c.query('SELECT 1 FROM api_key_ephemeral_tokens WHERE api_key_id = $1', [key.id]),
    );
    expect(rows.rowCount).toBe(0);
  });

  it('a body that is not an object → 400', async () => {
    const { key } = await createKey(orgId, admin.token);
    const res = await api<ErrorBody>('POST', tokensPath(key.id), { token: admin.token, rawBody: '[1]' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });
});

describe('minting', () => {
  it('defaults to 900 s; the token parses like a key with its own id; 1 and 86400 are accepted', async () => {
    const { key, secret } = await createKey(orgId, admin.token);
    for (const body of [undefined, {}]) {
      const before = Date.now();
      const res = await mint(key.id, admin.token, body);
      expect(res.status, res.text).toBe(201);
      const t = res.body;
      expect(t.keyId).toBe(key.id);
      expect(t.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const ttl = Date.parse(t.expiresAt) - before;
      expect(ttl).toBeGreaterThan(895_000);
      expect(ttl).toBeLessThanOrEqual(900_000 + (Date.now() - before));
      const parsed = parseKey(t.token);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      expect(t.prefix).toBe(`ptcl_${parsed.value.keyId}`);
      expect(t.prefix).not.toBe(key.prefix);
      expect(t.token).not.toBe(secret);
    }
    const short = await minted(key.id, { expiresInSeconds: 1 });
    expect(Date.parse(short.expiresAt) - Date.now()).toBeLessThanOrEqual(1_000);
    const day = await minted(key.id, { expiresInSeconds: 86_400 });
    expect(Date.parse(day.expiresAt) - Date.now()).toBeGreaterThan(86_390_000);
  });

  it("never outlives the parent: expiresAt is capped at the key's expiry", async () => {
    const keyExpiry = new Date(Date.now() + 120_000).toISOString();
    const { key } = await createKey(orgId, admin.token, { expiresAt: keyExpiry });
    const t = await minted(key.id, { expiresInSeconds: 3_600 });
    expect(t.expiresAt).toBe(keyExpiry);
    const shorter = await minted(key.id, { expiresInSeconds: 60 });
    expect(Date.parse(shorter.expiresAt)).toBeLessThan(Date.parse(keyExpiry));
  });

  it('stores only an argon2id hash of the secret, under its own id', async () => {
    const { key } = await createKey(orgId, admin.token);
    const t = await minted(key.id);
    const rows = await withDb((c) =>
      c.query<{ token_id: string; secret_hash: string; org_id: string; api_key_id: string; row: string }>(
        'SELECT t.*, t::text AS row FROM api_key_ephemeral_tokens t WHERE id = $1',
        [t.id],
      ),
    );
    const row = rows.rows[0];
    expect(row).toMatchObject({ org_id: orgId, api_key_id: key.id, token_id: t.prefix.slice(5) });
    expect(row?.secret_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row?.row).not.toContain(secretOf(t.token));
  });
});

describe('who may mint (the rotation rule)', () => {
  it('a member mints for their own key, not for anyone else’s (404); an admin for any key of the org', async () => {
    const own = (await createKey(orgId, member.token)).key;
    const adminsKey = (await createKey(orgId, admin.token)).key;
    expect((await mint(own.id, member.token)).status).toBe(201);
    const refused = await mint(adminsKey.id, member.token);
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('not_found');
    expect(refused.text).not.toContain(adminsKey.prefix);
    expect((await mint(own.id, admin.token)).status).toBe(201);
  });

  it("another organization's admin gets 404 (through either org's path); anonymous 401", async () => {
    const { key } = await createKey(orgId, admin.token);
    const viaA = await mint(key.id, outsider.token);
    expect(viaA.status).toBe(404);
    expect((await mint(key.id, outsider.token, undefined, outsiderOrg)).status).toBe(404);
    expect((await mint(key.id, undefined)).status).toBe(401);
    expect((await mint('not-a-uuid', admin.token)).status).toBe(404);
    const rows = await withDb((c) =>
      c.query('SELECT 1 FROM api_key_ephemeral_tokens WHERE api_key_id = $1', [key.id]),
    );
    expect(rows.rowCount).toBe(0);
  });
});

describe('the parent must be usable', () => {
  it('revoked → 409 key_revoked; inactive → 409 conflict; expired → 409 key_expired', async () => {
    const revoked = (await createKey(orgId, admin.token)).key;
    await api('POST', `/api/v1/orgs/${orgId}/keys/${revoked.id}/revoke`, { token: admin.token });
    const r = await mint(revoked.id, admin.token);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('key_revoked');

    const inactive = (await createKey(orgId, admin.token)).key;
    await api('POST', `/api/v1/orgs/${orgId}/keys/${inactive.id}/deactivate`, { token: admin.token });
    const i = await mint(inactive.id, admin.token);
    expect(i.status).toBe(409);
    expect(i.body.error.code).toBe('conflict');

    const expired = (await createKey(orgId, admin.token)).key;
    await withDb((c) =>
      c.query("UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1", [expired.id]),
    );
    const e = await mint(expired.id, admin.token);
    expect(e.status).toBe(409);
    expect(e.body.error.code).toBe('key_expired');

    const rows = await withDb((c) =>
      c.query('SELECT 1 FROM api_key_ephemeral_tokens WHERE api_key_id = ANY($1::uuid[])', [
        [revoked.id, inactive.id, expired.id],
      ]),
    );
    expect(rows.rowCount).toBe(0);
  });
});

describe('audit', () => {
  it('records key.ephemeral_token_created on the key, without the token; the chain still verifies', async () => {
    const { key } = await createKey(orgId, admin.token);
    const t = await minted(key.id, { expiresInSeconds: 300 });
    const res = await api<{ data: AuditEvent[] }>(
      'GET',
      `/api/v1/orgs/${orgId}/audit-events?targetId=${key.id}&action=key.ephemeral_token_created`,
      { token: admin.token },
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1);
    const event = res.body.data[0];
    expect(event).toMatchObject({
      action: 'key.ephemeral_token_created',
      target: { type: 'api_key', id: key.id },
      actor: { type: 'user', id: admin.user.id },
    });
    expect(event?.after).toMatchObject({
      id: t.id,
      keyId: key.id,
      expiresAt: t.expiresAt,
      expiresInSeconds: 300,
    });
    expect(res.text).not.toContain(t.token);
    expect(res.text).not.toContain(secretOf(t.token));
    const stored = await withDb((c) =>
      c.query<{ row: string }>('SELECT e::text AS row FROM audit_events e WHERE org_id = $1', [orgId]),
    );
    for (const r of stored.rows) expect(r.row).not.toContain(secretOf(t.token));
    const verify = await api<{ ok: boolean }>('GET', `/api/v1/orgs/${orgId}/audit-events/verify`, {
      token: admin.token,
    });
    expect(verify.body.ok).toBe(true);
  });
});

describe('the token is shown once', () => {
  it('appears in no later response: key, key list, audit trail, usage', async () => {
    const { key } = await createKey(orgId, admin.token);
    const t = await minted(key.id);
    const secret = secretOf(t.token);
    const seenFrom = seenBodies.length;
    for (const path of [
      `/keys/${key.id}`,
      '/keys?limit=200',
      `/keys?search=${encodeURIComponent(t.prefix)}`,
      `/keys/${key.id}/requests`,
      `/audit-events?targetId=${key.id}`,
      '/audit-events?limit=200',
      '/usage',
    ]) {
      const res = await api('GET', `/api/v1/orgs/${orgId}${path}`, { token: admin.token });
      expect(res.status, path).toBe(200);
    }
    const later = seenBodies.slice(seenFrom);
    expect(later.length).toBe(7);
    for (const body of later) expect(body).not.toContain(secret);
    // Exactly one response in this whole run carried it: the mint.
    expect(seenBodies.filter((b) => b.includes(secret))).toHaveLength(1);
  });
});

describe('propagation to gateways', () => {
  it('a mint is published as a delta carrying the hash only; the full snapshot has it too', async () => {
    const gw = await gatewayToken();
    const { key } = await createKey(orgId, admin.token);
    const t = await minted(key.id);
    const tokenId = t.prefix.slice(5);
    const change = await waitFor(() =>
      deltaChanges().find((c) => c.op === 'upsert_ephemeral_token' && c.value.tokenId === tokenId),
    );
    expect(change).toMatchObject({
      op: 'upsert_ephemeral_token',
      value: { id: t.id, tokenId, apiKeyId: key.id, expiresAt: t.expiresAt },
    });
    if (change.op !== 'upsert_ephemeral_token') throw new Error('unreachable');
    expect(change.value.secretHash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(messages)).not.toContain(secretOf(t.token));

    const { snapshot, text } = await fullSnapshot(gw);
    expect(snapshot.ephemeralTokens?.find((x) => x.id === t.id)).toEqual(change.value);
    expect(text).not.toContain(secretOf(t.token));
    const outbox = await withDb((c) =>
      c.query<{ changes: string }>('SELECT changes::text AS changes FROM snapshot_outbox WHERE org_id = $1', [
        orgId,
      ]),
    );
    for (const r of outbox.rows) expect(r.changes).not.toContain(secretOf(t.token));
  });

  it('rotation drops the key’s tokens (rows and gateways’ copies, in the rotation’s delta)', async () => {
    const gw = await gatewayToken();
    const { key } = await createKey(orgId, admin.token);
    const [t1, t2] = [await minted(key.id), await minted(key.id)];
    const rotated = await api('POST', `/api/v1/orgs/${orgId}/keys/${key.id}/rotate`, { token: admin.token });
    expect(rotated.status).toBe(200);
    await waitFor(() =>
      messages
        .map((m) => SnapshotMessageSchema.parse(m))
        .find(
          (m) =>
            m.kind === 'delta' &&
            m.changes.some((c) => c.op === 'upsert_key' && c.value.id === key.id && c.value.rotatedAt) &&
            m.changes.some((c) => c.op === 'delete_ephemeral_tokens' && c.apiKeyId === key.id),
        ),
    );
    const rows = await withDb((c) =>
      c.query('SELECT 1 FROM api_key_ephemeral_tokens WHERE api_key_id = $1', [key.id]),
    );
    expect(rows.rowCount).toBe(0);
    const { snapshot } = await fullSnapshot(gw);
    const ids = snapshot.ephemeralTokens?.map((x) => x.id) ?? [];
    expect(ids).not.toContain(t1.id);
    expect(ids).not.toContain(t2.id);
    // The rotated key can mint again.
    expect((await mint(key.id, admin.token)).status).toBe(201);
  });

  it('deleting the key drops its tokens; re-activating a paused key does not bring them back', async () => {
    const gw = await gatewayToken();
    const deleted = (await createKey(orgId, admin.token)).key;
    const td = await minted(deleted.id);
    const del = await api('DELETE', `/api/v1/orgs/${orgId}/keys/${deleted.id}`, { token: admin.token });
    expect(del.status).toBe(204);

    const paused = (await createKey(orgId, admin.token)).key;
    const tp = await minted(paused.id);
    await api('POST', `/api/v1/orgs/${orgId}/keys/${paused.id}/deactivate`, { token: admin.token });
    // While paused the token stays (gateways refuse it as key_inactive, like the key).
    const kept = await withDb((c) =>
      c.query('SELECT 1 FROM api_key_ephemeral_tokens WHERE id = $1', [tp.id]),
    );
    expect(kept.rowCount).toBe(1);
    await api('POST', `/api/v1/orgs/${orgId}/keys/${paused.id}/activate`, { token: admin.token });

    const rows = await withDb((c) =>
      c.query('SELECT id FROM api_key_ephemeral_tokens WHERE id = ANY($1::uuid[])', [[td.id, tp.id]]),
    );
    expect(rows.rowCount).toBe(0);
    const { snapshot } = await fullSnapshot(gw);
    const ids = snapshot.ephemeralTokens?.map((x) => x.id) ?? [];
    expect(ids).not.toContain(td.id);
    expect(ids).not.toContain(tp.id);
    await waitFor(() =>
      deltaChanges().find((c) => c.op === 'delete_ephemeral_tokens' && c.apiKeyId === paused.id),
    );
  });

  it('tokens expired past the retention window are pruned from snapshots and from the table', async () => {
    const gw = await gatewayToken();
    const { key } = await createKey(orgId, admin.token);
    const [recent, old] = [await minted(key.id), await minted(key.id)];
    await withDb(async (c) => {
      await c.query(
        "UPDATE api_key_ephemeral_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1",
        [recent.id],
      );
      await c.query(
        "UPDATE api_key_ephemeral_tokens SET expires_at = now() - interval '2 hours' WHERE id = $1",
        [old.id],
      );
    });
    // A new mint moves the snapshot version (so the full snapshot is rebuilt) and prunes the table.
    const fresh = await minted(key.id);
    const { snapshot } = await fullSnapshot(gw);
    const ids = snapshot.ephemeralTokens?.map((x) => x.id) ?? [];
    expect(ids).toContain(fresh.id);
    // Just expired: still sent, so gateways answer key_expired rather than "unknown".
    expect(ids).toContain(recent.id);
    expect(ids).not.toContain(old.id);
    const rows = await withDb((c) =>
      c.query<{ id: string }>('SELECT id FROM api_key_ephemeral_tokens WHERE api_key_id = $1', [key.id]),
    );
    expect(rows.rows.map((r) => r.id).sort()).toEqual([recent.id, fresh.id].sort());
  });
});
