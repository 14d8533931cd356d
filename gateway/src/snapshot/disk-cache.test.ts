import { generateKeyPairSync } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveKey, seal } from '@portcullis/shared/crypto';
import { signBytes, signMessageText } from '@portcullis/shared/signing';
import { encodeSnapshot, type SnapshotMessage } from '@portcullis/shared/snapshot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SnapshotBuilder } from '../../test/helpers.js';
import { DiskCache } from './disk-cache.js';
import { SnapshotStore } from './store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The control plane's signing key, as a gateway would have pinned it. */
const cp = generateKeyPairSync('ed25519');

const delta = (
  b: SnapshotBuilder,
  fromVersion: number,
  changes: Extract<SnapshotMessage, { kind: 'delta' }>['changes'],
) => ({ kind: 'delta', orgId: b.orgId, fromVersion, toVersion: fromVersion + 1, changes }) as const;

const signed = (msg: unknown) => signMessageText(cp.privateKey, JSON.stringify(msg));

async function saveSigned(cache: DiskCache, b: SnapshotBuilder): Promise<Buffer> {
  const snapshot = b.build();
  const body = Buffer.from(JSON.stringify(encodeSnapshot(snapshot)));
  await cache.saveWire(body, snapshot, signBytes(cp.privateKey, 'full-snapshot', body), b.snapshotKey, 1);
  return body;
}

const restore = async (c: DiskCache) => {
  const loaded = await c.load(cp.publicKey);
  const store = new SnapshotStore();
  expect(loaded).not.toBeNull();
  store.setSnapshotKey(loaded!.snapshotKey, loaded!.snapshotKeyVersion);
  store.apply(loaded!.snapshot);
  for (const d of loaded!.deltas) store.applyDelta(d);
  return store;
};

describe('DiskCache', () => {
  it('keeps the signed base as sent plus a journal of the signed deltas applied since; a newer base trims it', async () => {
    const b = new SnapshotBuilder();
    b.credential('openai', {}, 'sk-cached');
    const first = await b.key();
    const second = await b.key();
    const cache = new DiskCache(dir, 'token-1', () => {});
    await saveSigned(cache, b);
    const file = await readFile(cache.file, 'utf8');
    expect(JSON.parse(file.slice(0, file.indexOf('\n')))).toMatchObject({ format: 4, snapshotKeyVersion: 1 });
    expect(JSON.parse(file.slice(file.indexOf('\n') + 1)).version).toBe(1);
    expect(file).not.toContain(b.snapshotKey.toString('base64url'));
    expect(file).not.toContain('sk-cached');

    const d1 = delta(b, 1, [
      { op: 'upsert_key', value: { ...first.record, status: 'revoked', secretHash: null } },
    ]);
    const d2 = delta(b, 2, [{ op: 'delete_key', id: second.record.id }]);
    void cache.append(2, signed(d1));
    await cache.append(3, signed(d2));
    expect(cache.journalLength).toBe(2);

    let store = await restore(new DiskCache(dir, 'token-1'));
    expect(store.version).toBe(3);
    expect(store.keys.get(first.record.keyId)?.key.status).toBe('revoked');
    expect(store.keys.has(second.record.keyId)).toBe(false);
    expect(store.credentials.values().next().value?.secret()).toBe('sk-cached');

    // A new base at version 2 (fetched while delta 3 was already journaled): the journal keeps delta 3.
    const reopened = new DiskCache(dir, 'token-1');
    await reopened.load(cp.publicKey);
    b.keys[0] = { ...first.record, status: 'revoked', secretHash: null };
    b.version = 2;
    await saveSigned(reopened, b);
    expect(reopened.journalLength).toBe(1);
    store = await restore(new DiskCache(dir, 'token-1'));
    expect(store.version).toBe(3);
    expect(store.keys.has(second.record.keyId)).toBe(false);
    // ...and an older base never replaces a newer one.
    b.version = 1;
    await saveSigned(reopened, b);
    expect(reopened.baseVersion).toBe(2);

    // A torn last line (the process died mid-append) is dropped, the lines before it kept.
    await appendFile(reopened.journalFile, '{"kind":"delta","orgId');
    store = await restore(new DiskCache(dir, 'token-1'));
    expect(store.version).toBe(3);

    // Under another gateway token the cache is useless.
    expect(await new DiskCache(dir, 'token-2', () => {}).load(cp.publicKey)).toBeNull();
  });

  it('refuses a base or journal line that does not verify under the pinned key', async () => {
    const b = new SnapshotBuilder();
    const { record } = await b.key();
    const logs: string[] = [];
    const cache = new DiskCache(dir, 'token-1', (l) => logs.push(l));
    await saveSigned(cache, b);
    // A journal line not signed by the control plane stops the journal there.
    const forged = delta(b, 1, [{ op: 'delete_key', id: record.id }]);
    await cache.append(2, JSON.stringify(forged));
    const loaded = await new DiskCache(dir, 'token-1', (l) => logs.push(l)).load(cp.publicKey);
    expect(loaded?.snapshot.version).toBe(1);
    expect(loaded?.deltas).toEqual([]);
    expect(logs.join('\n')).toContain('not signed by the control plane');

    // Another control plane's key, or none pinned: the base is refused.
    const other = generateKeyPairSync('ed25519');
    expect(await new DiskCache(dir, 'token-1', () => {}).load(other.publicKey)).toBeNull();
    expect(await new DiskCache(dir, 'token-1', () => {}).load(null)).toBeNull();

    // One byte of the snapshot changed: refused.
    const text = await readFile(cache.file, 'utf8');
    await writeFile(cache.file, text.replace('"version":1', '"version":9'));
    expect(await new DiskCache(dir, 'token-1', () => {}).load(cp.publicKey)).toBeNull();
  });

  it("refuses another organization's genuinely signed snapshot under this cache's header; format 3 only for the expected org", async () => {
    const a = new SnapshotBuilder();
    const other = new SnapshotBuilder();
    await other.key();
    const cache = new DiskCache(dir, 'token-1', () => {});
    await saveSigned(cache, a);
    const text = await readFile(cache.file, 'utf8');
    const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as Record<string, unknown>;
    const bodyB = Buffer.from(JSON.stringify(encodeSnapshot(other.build())));
    const sigB = signBytes(cp.privateKey, 'full-snapshot', bodyB);
    const swap = (h: Record<string, unknown>) =>
      writeFile(cache.file, Buffer.concat([Buffer.from(`${JSON.stringify(h)}\n`), bodyB]));
    // Every signature verifies, but the sealed snapshot key is bound to org A's body.
    await swap({ ...header, signature: sigB });
    expect(await new DiskCache(dir, 'token-1', () => {}).load(cp.publicKey)).toBeNull();
    // A format-3 header (no binding): read only when its organization is the one expected.
    const legacy = {
      ...header,
      format: 3,
      signature: sigB,
      sealedSnapshotKey: seal(
        deriveKey('token-1', 'portcullis-gateway-cache'),
        a.snapshotKey.toString('base64url'),
        1,
        'snapshot-key',
      ),
    };
    await swap(legacy);
    expect(await new DiskCache(dir, 'token-1', () => {}).load(cp.publicKey)).toBeNull();
    expect(await new DiskCache(dir, 'token-1', () => {}).load(cp.publicKey, a.orgId)).toBeNull();
    expect(
      (await new DiskCache(dir, 'token-1', () => {}).load(cp.publicKey, other.orgId))?.snapshot.orgId,
    ).toBe(other.orgId);
  });

  it('reads a cache written before signing (formats 1 and 2) as unsigned', async () => {
    const b = new SnapshotBuilder();
    const { record } = await b.key();
    await writeFile(
      join(dir, 'snapshot.json'),
      JSON.stringify({
        format: 1,
        savedAt: new Date().toISOString(),
        sealedSnapshotKey: seal(
          deriveKey('token-1', 'portcullis-gateway-cache'),
          b.snapshotKey.toString('base64url'),
          1,
          'snapshot-key',
        ),
        snapshot: b.build(),
      }),
    );
    const loaded = await new DiskCache(dir, 'token-1').load(cp.publicKey);
    expect(loaded?.signed).toBe(false);
    expect(loaded?.snapshot.keys[0]).toEqual(record);
    expect(loaded?.deltas).toEqual([]);
  });
});
