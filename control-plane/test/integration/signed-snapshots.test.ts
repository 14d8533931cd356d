import { open } from '@portcullis/shared/crypto';
import {
  decodePublicKey,
  SNAPSHOT_SIGNATURE_HEADER,
  verifyBytes,
  verifyMessageText,
} from '@portcullis/shared/signing';
import { parseSnapshot, SnapshotMessageSchema, snapshotChannel } from '@portcullis/shared/snapshot';
import { waitFor } from '@portcullis/testing/wait';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, newOrg, type SignedIn, unique } from './client';
import { withDb } from './db';
import { TEST_MASTER_KEY, TEST_REDIS_URL } from './global-setup';

interface Registration {
  gateway: { id: string; orgId: string };
  snapshotKey: string;
  snapshotKeyVersion: number;
  signingKey: { algorithm: string; publicKey: string; fingerprint: string };
}

let orgId: string;
let admin: SignedIn;
let sub: Redis;
/** Every message published on the organization's channel, as sent. */
const seen: string[] = [];

beforeAll(async () => {
  ({ orgId, admin } = await newOrg());
  sub = new Redis(TEST_REDIS_URL);
  sub.on('message', (_channel: string, text: string) => seen.push(text));
  await sub.subscribe(snapshotChannel(orgId));
});
afterAll(async () => {
  await sub.quit();
});

async function gateway(): Promise<{ token: string; id: string }> {
  const res = await api<{ token: string; gateway: { id: string } }>(
    'POST',
    `/api/v1/orgs/${orgId}/gateway-tokens`,
    {
      token: admin.token,
      body: { name: unique('edge') },
    },
  );
  expect(res.status).toBe(201);
  return { token: res.body.token, id: res.body.gateway.id };
}

const register = (token: string) =>
  api<Registration>('POST', '/api/v1/gateway/register', { token, body: { instanceId: unique('i') } });

const secret = 'sk-signed-0123456789abcdefghijklmnopqr';

describe('the control plane signs what gateways act on', () => {
  it('every full snapshot, delta and heartbeat verifies under the key registration hands out; its private half is sealed', async () => {
    const { token } = await gateway();
    const reg = await register(token);
    expect(reg.status).toBe(200);
    expect(reg.body.signingKey).toMatchObject({
      algorithm: 'ed25519',
      fingerprint: expect.stringMatching(/^ed25519:/),
    });
    const publicKey = decodePublicKey(reg.body.signingKey.publicKey);
    expect(publicKey).not.toBeNull();
    // The same key for every gateway and every registration.
    const other = await register((await gateway()).token);
    expect(other.body.signingKey.publicKey).toBe(reg.body.signingKey.publicKey);

    const cred = await api<{ id: string }>('POST', `/api/v1/orgs/${orgId}/provider-credentials`, {
      token: admin.token,
      body: { name: unique('c'), provider: 'openai', secret },
    });
    const delta = await waitFor(() =>
      seen.find((t) => t.includes('"kind":"delta"') && t.includes(cred.body.id)),
    );
    const verified = verifyMessageText(publicKey!, delta);
    expect(verified.ok).toBe(true);
    const beat = await waitFor(() => seen.find((t) => t.includes('"kind":"heartbeat"')));
    expect(verifyMessageText(publicKey!, beat).ok).toBe(true);
    // Readers that do not check signatures still read the message as before.
    expect(SnapshotMessageSchema.parse(JSON.parse(delta)).kind).toBe('delta');

    const snap = await api<unknown>('GET', '/api/v1/gateway/snapshot', { token });
    const signature = snap.headers.get(SNAPSHOT_SIGNATURE_HEADER) ?? '';
    expect(verifyBytes(publicKey!, 'full-snapshot', snap.text, signature)).toBe(true);
    expect(
      verifyBytes(publicKey!, 'full-snapshot', snap.text.replace('"version":', '"version": '), signature),
    ).toBe(false);
    expect(parseSnapshot(snap.body).orgId).toBe(orgId);

    // At rest: sealed under the master key, and nowhere in clear.
    const row = await withDb(
      async (c) => (await c.query('SELECT private_key_sealed FROM control_plane_signing_keys')).rows,
    );
    expect(row).toHaveLength(1);
    const pkcs8 = open(
      Buffer.from(TEST_MASTER_KEY, 'base64'),
      row[0].private_key_sealed,
      'control-plane-signing-key',
    );
    for (const text of [reg.text, snap.text, ...seen]) expect(text).not.toContain(pkcs8);
  });
});

describe('removing a gateway', () => {
  it('revokes its token at once and rotates the snapshot key: everything is resealed, the others register for the new key', async () => {
    const stays = await gateway();
    const goes = await gateway();
    const before = await register(stays.token);
    const oldKey = Buffer.from(before.body.snapshotKey, 'base64url');
    const cred = await api<{ id: string }>('POST', `/api/v1/orgs/${orgId}/provider-credentials`, {
      token: admin.token,
      body: { name: unique('c'), provider: 'openai', secret },
    });
    seen.length = 0;

    const del = await api('DELETE', `/api/v1/orgs/${orgId}/gateways/${goes.id}`, { token: admin.token });
    expect(del.status).toBe(204);
    expect((await register(goes.token)).status).toBe(401);
    expect((await api('GET', '/api/v1/gateway/snapshot', { token: goes.token })).status).toBe(401);

    const after = await register(stays.token);
    expect(after.body.snapshotKeyVersion).toBe(before.body.snapshotKeyVersion + 1);
    const newKey = Buffer.from(after.body.snapshotKey, 'base64url');
    expect(newKey.equals(oldKey)).toBe(false);

    // The resealed credential travels as a delta, sealed under the new generation only.
    const resealed = await waitFor(() => {
      for (const text of seen) {
        const msg = SnapshotMessageSchema.parse(JSON.parse(text));
        if (msg.kind !== 'delta') continue;
        for (const c of msg.changes)
          if (
            c.op === 'upsert_credential' &&
            c.value.id === cred.body.id &&
            c.value.sealedSecret.startsWith(`v${after.body.snapshotKeyVersion}.`)
          )
            return c.value;
      }
      return undefined;
    });
    expect(open(newKey, resealed.sealedSecret, cred.body.id)).toBe(secret);
    expect(() => open(oldKey, resealed.sealedSecret, cred.body.id)).toThrow();
    const full = parseSnapshot(
      (await api<unknown>('GET', '/api/v1/gateway/snapshot', { token: stays.token })).body,
    );
    const inFull = full.credentials.find((c) => c.id === cred.body.id);
    expect(open(newKey, inFull?.sealedSecret ?? '', cred.body.id)).toBe(secret);
    expect(() => open(oldKey, inFull?.sealedSecret ?? '', cred.body.id)).toThrow();

    const audit = await api('GET', `/api/v1/orgs/${orgId}/audit-events?targetId=${goes.id}`, {
      token: admin.token,
    });
    expect(audit.text).toContain('gateway.deleted');
    expect(audit.text).toContain('gateway.snapshot_key_rotated');
    expect(audit.text).not.toContain(after.body.snapshotKey);
  });
});
