import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveKey, seal } from '@portcullis/shared/crypto';
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

const delta = (
  b: SnapshotBuilder,
  fromVersion: number,
  changes: Extract<SnapshotMessage, { kind: 'delta' }>['changes'],
) => ({ kind: 'delta', orgId: b.orgId, fromVersion, toVersion: fromVersion + 1, changes }) as const;

describe('DiskCache', () => {
  it('keeps the base as sent plus a journal of the deltas applied since, and compacts without losing any', async () => {
    const b = new SnapshotBuilder();
    b.credential('openai', {}, 'sk-cached');
    const first = await b.key();
    const second = await b.key();
    const cache = new DiskCache(dir, 'token-1', () => {});
    const body = Buffer.from(JSON.stringify(encodeSnapshot(b.build())));
    await cache.saveWire(body, 1, b.snapshotKey);
    const file = await readFile(cache.file, 'utf8');
    expect(JSON.parse(file).snapshot.version).toBe(1);
    expect(file).not.toContain(b.snapshotKey.toString('base64url'));
    expect(file).not.toContain('sk-cached');

    const d1 = delta(b, 1, [
      { op: 'upsert_key', value: { ...first.record, status: 'revoked', secretHash: null } },
    ]);
    const d2 = delta(b, 2, [{ op: 'delete_key', id: second.record.id }]);
    void cache.append(2, JSON.stringify(d1));
    await cache.append(3, JSON.stringify(d2));
    expect(cache.journalLength).toBe(2);

    const restore = async (c: DiskCache) => {
      const loaded = await c.load();
      const store = new SnapshotStore();
      expect(loaded).not.toBeNull();
      store.setSnapshotKey(loaded!.snapshotKey);
      store.apply(loaded!.snapshot);
      for (const d of loaded!.deltas) store.applyDelta(d);
      return store;
    };
    let store = await restore(new DiskCache(dir, 'token-1'));
    expect(store.version).toBe(3);
    expect(store.keys.get(first.record.keyId)?.key.status).toBe('revoked');
    expect(store.keys.has(second.record.keyId)).toBe(false);
    expect(store.credentials.values().next().value?.secret()).toBe('sk-cached');

    // Compaction at version 2, while delta 3 is already journaled: the journal keeps delta 3 only.
    const atTwo = new SnapshotStore();
    atTwo.apply(b.build());
    atTwo.applyDelta(d1);
    const reopened = new DiskCache(dir, 'token-1');
    await reopened.load();
    await reopened.save(atTwo.toSnapshot()!, b.snapshotKey);
    expect(reopened.journalLength).toBe(1);
    store = await restore(new DiskCache(dir, 'token-1'));
    expect(store.version).toBe(3);
    expect(store.keys.get(first.record.keyId)?.key.status).toBe('revoked');
    expect(store.keys.has(second.record.keyId)).toBe(false);

    // A torn last line (the process died mid-append) is dropped, the lines before it kept.
    await appendFile(reopened.journalFile, '{"kind":"delta","orgId');
    store = await restore(new DiskCache(dir, 'token-1'));
    expect(store.version).toBe(3);

    // Under another gateway token the cache is useless.
    expect(await new DiskCache(dir, 'token-2', () => {}).load()).toBeNull();
  });

  it('reads a cache written before wire format 2 (object form)', async () => {
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
    const loaded = await new DiskCache(dir, 'token-1').load();
    expect(loaded?.snapshot.keys[0]).toEqual(record);
    expect(loaded?.deltas).toEqual([]);
  });
});
