import { randomUUID } from 'node:crypto';
import { seal } from '@portcullis/shared/crypto';
import { describe, expect, it } from 'vitest';
import { SnapshotBuilder } from '../../test/helpers.js';
import { SnapshotStore } from './store.js';

describe('SnapshotStore', () => {
  it('only moves forward: older or equal full snapshots are stale, deltas must start at the held version', async () => {
    const b = new SnapshotBuilder();
    const cred = b.credential('openai', { baseUrl: 'http://127.0.0.1:1/v1' });
    const model = b.model('m', cred);
    const { record } = await b.key();
    b.version = 5;
    const store = new SnapshotStore();
    expect(
      store.applyDelta({ kind: 'delta', orgId: b.orgId, fromVersion: 0, toVersion: 1, changes: [] }),
    ).toBe('gap');
    expect(store.apply(b.build())).toBe('applied');
    b.version = 4;
    expect(store.apply(b.build())).toBe('stale');
    expect(store.version).toBe(5);
    const delta = (fromVersion: number, toVersion: number, changes = []) =>
      ({ kind: 'delta', orgId: b.orgId, fromVersion, toVersion, changes }) as const;
    expect(store.applyDelta(delta(3, 4))).toBe('stale');
    expect(store.applyDelta(delta(6, 7))).toBe('gap');
    expect(
      store.applyDelta({
        ...delta(5, 6),
        changes: [
          { op: 'delete_key', id: record.id },
          { op: 'upsert_model', value: { ...model, slug: 'renamed' } },
        ],
      }),
    ).toBe('applied');
    expect(store.keys.has(record.keyId)).toBe(false);
    expect([...store.models.keys()]).toEqual(['renamed']);
    expect(store.version).toBe(6);
    expect(() => store.apply({ ...b.build(), orgId: randomUUID(), version: 9 })).toThrow();
  });

  it('opens a credential secret once and forgets it when the snapshot key changes', () => {
    const b = new SnapshotBuilder();
    b.credential('openai', {}, 'sk-one');
    const store = new SnapshotStore();
    store.apply(b.build());
    const entry = store.credentials.values().next().value;
    expect(entry?.secret()).toBeNull();
    store.setSnapshotKey(b.snapshotKey);
    expect(entry?.secret()).toBe('sk-one');
    store.setSnapshotKey(Buffer.alloc(32, 7));
    expect(entry?.secret()).toBeNull();
  });
});

describe('SnapshotStore MCP servers', () => {
  it('indexes them by name through full snapshots and deltas, opening their headers with the snapshot key', () => {
    const b = new SnapshotBuilder();
    const id = randomUUID();
    const github = {
      id,
      name: 'github',
      url: 'https://mcp.example.com/mcp',
      sealedHeaders: seal(b.snapshotKey, JSON.stringify({ Authorization: 'Bearer x' }), 1, id),
      enabled: true,
    };
    const store = new SnapshotStore();
    store.apply(b.build()); // a snapshot from a control plane without MCP servers
    expect(store.mcpServers.size).toBe(0);
    b.version = 2;
    store.apply({ ...b.build(), mcpServers: [github] });
    expect(store.mcpServers.get('github')?.headers()).toBeNull(); // no snapshot key yet
    store.setSnapshotKey(b.snapshotKey);
    expect(store.mcpServers.get('github')?.headers()).toEqual({ Authorization: 'Bearer x' });
    expect(store.toSnapshot()?.mcpServers).toEqual([github]);

    const delta = (fromVersion: number, changes: never[] | object[]) =>
      ({ kind: 'delta', orgId: b.orgId, fromVersion, toVersion: fromVersion + 1, changes }) as never;
    expect(
      store.applyDelta(
        delta(2, [{ op: 'upsert_mcp_server', value: { ...github, name: 'gh', sealedHeaders: null } }]),
      ),
    ).toBe('applied');
    expect([...store.mcpServers.keys()]).toEqual(['gh']);
    expect(store.mcpServers.get('gh')?.headers()).toEqual({});
    expect(store.applyDelta(delta(3, [{ op: 'delete_mcp_server', id }]))).toBe('applied');
    expect(store.mcpServers.size).toBe(0);
  });
});
