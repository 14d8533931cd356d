import Anthropic from '@anthropic-ai/sdk';
import { hash } from '@node-rs/argon2';
import { makeKey } from '@portcullis/shared/keys';
import {
  EPHEMERAL_TOKEN_RETENTION_MS,
  encodeSnapshot,
  parseSnapshot,
  type SnapshotEphemeralToken,
  type SnapshotKey,
} from '@portcullis/shared/snapshot';
import { ARGON2_OWASP } from '@portcullis/testing/argon2';
import { type FakeUpstream, startFakeUpstream } from '@portcullis/testing/fake-upstream';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotStore } from '../src/snapshot/store.js';
import {
  deltaSender,
  ephemeralToken,
  limitsOf,
  loopbackUpstream,
  type ServedGateway,
  SnapshotBuilder,
  serveGateway,
} from './helpers.js';

// Ephemeral tokens at one gateway on a real port: built from a snapshot made here (real argon2 hashes),
// changed by deltas as the control plane would send them, called with the official SDKs and raw HTTP.

let upstream: FakeUpstream;
let served: ServedGateway;
let store: SnapshotStore;
let b: SnapshotBuilder;

let delta: ReturnType<typeof deltaSender>;

async function chat(credential: string, headers: 'bearer' | 'x-api-key' = 'bearer') {
  const res = await fetch(`${served.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(headers === 'bearer' ? { authorization: `Bearer ${credential}` } : { 'x-api-key': credential }),
    },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, code: body.error?.code ?? null, message: body.error?.message ?? null };
}

let main: { key: string; record: SnapshotKey };
let mainToken: { token: string; record: SnapshotEphemeralToken };

beforeAll(async () => {
  upstream = await startFakeUpstream({ words: 4 });
  b = new SnapshotBuilder();
  const openaiCred = b.credential('openai', { baseUrl: `${upstream.url}/v1` });
  b.model('gpt-4o-mini', openaiCred);
  b.model('claude-sonnet', b.credential('anthropic', { baseUrl: upstream.url }));
  main = await b.key();
  mainToken = await ephemeralToken(main.record);
  store = b.store({ ephemeralTokens: [mainToken.record] });
  delta = deltaSender(store, b.orgId, b.version);
  served = await serveGateway({ store, trustedProxies: [], upstream: loopbackUpstream() });
}, 30_000);

afterAll(async () => {
  await served?.close();
  await upstream?.close();
});

describe('a token from the full snapshot', () => {
  it('works with the OpenAI SDK, the Anthropic SDK (x-api-key), raw Bearer/x-api-key and pass-through', async () => {
    const openai = new OpenAI({ apiKey: mainToken.token, baseURL: `${served.url}/v1`, maxRetries: 0 });
    const done = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(done.choices[0]?.message.content).toBeTruthy();
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini');

    const anthropic = new Anthropic({ apiKey: mainToken.token, baseURL: served.url, maxRetries: 0 });
    const msg = await anthropic.messages.create({
      model: 'claude-sonnet',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(msg.content.length).toBeGreaterThan(0);

    expect(await chat(mainToken.token, 'x-api-key')).toMatchObject({ status: 200 });
    const passthrough = await fetch(`${served.url}/gateway/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mainToken.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(passthrough.status).toBe(200);
  });

  it('refuses a wrong secret under the token id, and a typo, as invalid_api_key', async () => {
    const forged = makeKey(mainToken.record.tokenId).key;
    expect(await chat(forged)).toMatchObject({ status: 401, code: 'invalid_api_key' });
    const typo = `${mainToken.token.slice(0, -1)}${mainToken.token.endsWith('a') ? 'b' : 'a'}`;
    expect(await chat(typo)).toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  it('survives the wire format round trip (disk cache) with its tokens', () => {
    const snap = store.toSnapshot();
    if (!snap) throw new Error('no snapshot');
    const decoded = parseSnapshot(JSON.parse(JSON.stringify(encodeSnapshot(snap))));
    expect(decoded.ephemeralTokens).toEqual(snap.ephemeralTokens);
    expect(decoded.ephemeralTokens?.map((t) => t.tokenId)).toContain(mainToken.record.tokenId);
    // Only the hash travels.
    expect(JSON.stringify(decoded)).not.toContain(mainToken.token);
  });
});

describe('a token acts as its parent key', () => {
  it("shares the parent's request-per-minute limit (counted on the parent)", async () => {
    const parent = await b.key({
      limits: limitsOf({ requestsPerMinute: 3 }),
    });
    const t = await ephemeralToken(parent.record);
    delta({ op: 'upsert_key', value: parent.record }, { op: 'upsert_ephemeral_token', value: t.record });
    expect((await chat(parent.key)).status).toBe(200);
    expect((await chat(t.token)).status).toBe(200);
    expect((await chat(parent.key)).status).toBe(200);
    // The fourth request of the minute, whichever credential makes it, is over the parent's limit.
    expect(await chat(t.token)).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(await chat(parent.key)).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
  });

  it("follows the parent's state: inactive, owner suspended, revoked, as the parent is refused", async () => {
    const parent = await b.key();
    const t = await ephemeralToken(parent.record);
    delta({ op: 'upsert_key', value: parent.record }, { op: 'upsert_ephemeral_token', value: t.record });
    expect((await chat(t.token)).status).toBe(200);

    delta({ op: 'upsert_key', value: { ...parent.record, status: 'inactive' } });
    expect(await chat(t.token)).toMatchObject({ status: 401, code: 'key_inactive' });
    expect(await chat(parent.key)).toMatchObject({ status: 401, code: 'key_inactive' });

    delta({ op: 'upsert_key', value: { ...parent.record, ownerStatus: 'suspended' } });
    expect(await chat(t.token)).toMatchObject({ status: 403, code: 'user_suspended' });

    delta({ op: 'upsert_key', value: { ...parent.record, status: 'revoked', secretHash: null } });
    expect(await chat(t.token)).toMatchObject({ status: 401, code: 'key_revoked' });
  });

  it('is refused once the parent is deleted, or its tokens are dropped (rotation)', async () => {
    const parent = await b.key();
    const [t1, t2] = await Promise.all([ephemeralToken(parent.record), ephemeralToken(parent.record)]);
    delta(
      { op: 'upsert_key', value: parent.record },
      { op: 'upsert_ephemeral_token', value: t1.record },
      { op: 'upsert_ephemeral_token', value: t2.record },
    );
    expect((await chat(t1.token)).status).toBe(200);
    expect((await chat(t2.token)).status).toBe(200);
    // Rotation: the key's new hash and the drop of its tokens come in one delta.
    const rotated = makeKey(parent.record.keyId);
    delta(
      {
        op: 'upsert_key',
        value: {
          ...parent.record,
          secretHash: await hash(rotated.secret, ARGON2_OWASP),
          rotatedAt: new Date().toISOString(),
        },
      },
      { op: 'delete_ephemeral_tokens', apiKeyId: parent.record.id },
    );
    expect(await chat(t1.token)).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(await chat(t2.token)).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect((await chat(rotated.key)).status).toBe(200);
    expect(store.ephemeralTokens.has(t1.record.tokenId)).toBe(false);

    const t3 = await ephemeralToken(parent.record);
    delta({ op: 'upsert_ephemeral_token', value: t3.record });
    expect((await chat(t3.token)).status).toBe(200);
    delta({ op: 'delete_key', id: parent.record.id });
    expect(await chat(t3.token)).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(store.ephemeralTokens.has(t3.record.tokenId)).toBe(false);
  });
});

describe('expiry', () => {
  it('is checked by the gateway with its own clock: 401 key_expired "API key has expired"', async () => {
    const parent = await b.key();
    const t = await ephemeralToken(parent.record, new Date(Date.now() + 1_500).toISOString());
    delta({ op: 'upsert_key', value: parent.record }, { op: 'upsert_ephemeral_token', value: t.record });
    expect((await chat(t.token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_600));
    expect(await chat(t.token)).toEqual({ status: 401, code: 'key_expired', message: 'API key has expired' });
    // The parent itself is unaffected.
    expect((await chat(parent.key)).status).toBe(200);
  });

  it("never outlives the parent: the parent's earlier expiry applies to the token", async () => {
    const parent = await b.key({ expiresAt: new Date(Date.now() - 1_000).toISOString() });
    const t = await ephemeralToken(parent.record);
    delta({ op: 'upsert_key', value: parent.record }, { op: 'upsert_ephemeral_token', value: t.record });
    expect(await chat(t.token)).toMatchObject({ status: 401, code: 'key_expired' });
  });

  it('expired tokens are pruned from memory after the retention window, not before', async () => {
    const parent = await b.key();
    const t = await ephemeralToken(parent.record, new Date(Date.now() - 1_000).toISOString());
    delta({ op: 'upsert_key', value: parent.record }, { op: 'upsert_ephemeral_token', value: t.record });
    expect(store.pruneEphemeralTokens(Date.now(), true)).toBe(0);
    expect(await chat(t.token)).toMatchObject({ status: 401, code: 'key_expired' });
    const later = Date.now() + EPHEMERAL_TOKEN_RETENTION_MS + 1_000;
    expect(store.pruneEphemeralTokens(later, true)).toBeGreaterThanOrEqual(1);
    expect(store.ephemeralTokens.has(t.record.tokenId)).toBe(false);
    expect(store.ephemeralTokens.has(mainToken.record.tokenId)).toBe(true);
    expect(await chat(t.token)).toMatchObject({ status: 401, code: 'invalid_api_key' });
  });
});
