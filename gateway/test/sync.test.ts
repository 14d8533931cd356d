import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodePublicKey,
  publicKeyFingerprint,
  SNAPSHOT_SIGNATURE_HEADER,
  signBytes,
  signMessageText,
} from '@portcullis/shared/signing';
import type { OrgSnapshot, SnapshotMessage } from '@portcullis/shared/snapshot';
import { encodeSnapshot, snapshotChannel } from '@portcullis/shared/snapshot';
import { eventually } from '@portcullis/testing/wait';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskCache } from '../src/snapshot/disk-cache.js';
import { ControlPlaneKeyPin } from '../src/snapshot/pin.js';
import { SnapshotStore } from '../src/snapshot/store.js';
import { SnapshotSync } from '../src/snapshot/sync.js';
import { SnapshotBuilder, serveGateway, sleep, UPSTREAM_SECRET } from './helpers.js';

// The real sync against a tiny real control plane (HTTP) and the machine's real Redis.
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = `gwt_${randomUUID()}`;
/** The control plane's signing key (it signs the snapshot, deltas and heartbeats). */
const CP_KEY = generateKeyPairSync('ed25519');
const CP_PUBLIC = encodePublicKey(CP_KEY.publicKey);

interface FakeControlPlane {
  url: string;
  server: Server;
  snapshot: OrgSnapshot;
  fetches: number;
  heartbeats: { instanceId: string; snapshotVersion: number | null }[];
  /** The key full snapshots are signed with (another one plays a man in the middle). */
  signer: KeyObject;
}

async function startControlPlane(b: SnapshotBuilder): Promise<FakeControlPlane> {
  const cp: FakeControlPlane = {
    url: '',
    server: null as unknown as Server,
    snapshot: b.build(),
    fetches: 0,
    heartbeats: [],
    signer: CP_KEY.privateKey,
  };
  const readBody = (req: IncomingMessage) =>
    new Promise<unknown>((resolve) => {
      let text = '';
      req.on('data', (c: Buffer) => {
        text += c.toString('utf8');
      });
      req.on('end', () => resolve(text ? JSON.parse(text) : null));
    });
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  cp.server = createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return send(res, 401, { error: { code: 'unauthenticated', message: 'bad token' } });
    if (req.method === 'POST' && req.url === '/api/v1/gateway/register')
      return send(res, 200, {
        gateway: { id: randomUUID(), name: 'edge-test', orgId: b.orgId },
        snapshotKey: b.snapshotKey.toString('base64url'),
        signingKey: {
          algorithm: 'ed25519',
          publicKey: CP_PUBLIC,
          fingerprint: publicKeyFingerprint(CP_PUBLIC),
        },
      });
    if (req.method === 'GET' && req.url === '/api/v1/gateway/snapshot') {
      cp.fetches++;
      const text = JSON.stringify(encodeSnapshot(cp.snapshot));
      res.writeHead(200, {
        'content-type': 'application/json',
        [SNAPSHOT_SIGNATURE_HEADER]: signBytes(cp.signer, 'full-snapshot', text),
      });
      return res.end(text);
    }
    if (req.method === 'POST' && req.url === '/api/v1/gateway/heartbeat') {
      cp.heartbeats.push(body as FakeControlPlane['heartbeats'][number]);
      return send(res, 200, { version: cp.snapshot.version });
    }
    return send(res, 404, { error: { code: 'not_found', message: 'no' } });
  });
  cp.server.listen(0, '127.0.0.1');
  await new Promise((r) => cp.server.once('listening', r));
  cp.url = `http://127.0.0.1:${(cp.server.address() as AddressInfo).port}`;
  return cp;
}

const until = (what: string, check: () => boolean | Promise<boolean>, ms = 5000) =>
  eventually(check, ms, what);

let b: SnapshotBuilder;
let cp: FakeControlPlane;
let publisher: Redis;
let stateDir: string;
let firstKey: Awaited<ReturnType<SnapshotBuilder['key']>>;

beforeAll(async () => {
  b = new SnapshotBuilder();
  const cred = b.credential('openai', { baseUrl: 'http://127.0.0.1:9/v1' });
  b.model('gpt-4o-mini', cred);
  firstKey = await b.key();
  cp = await startControlPlane(b);
  publisher = new Redis(REDIS_URL);
  stateDir = await mkdtemp(join(tmpdir(), 'portcullis-gw-'));
});

afterAll(async () => {
  publisher.disconnect();
  cp.server.closeAllConnections();
  cp.server.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** Waits until a sync listens on the organization's channel. */
const subscribed = () =>
  until('the subscription', async () => {
    const [, n] = (await publisher.pubsub('NUMSUB', snapshotChannel(b.orgId))) as [string, number];
    return Number(n) >= 1;
  });

const publish = (msg: SnapshotMessage) =>
  publisher.publish(snapshotChannel(b.orgId), signMessageText(CP_KEY.privateKey, JSON.stringify(msg)));

describe('snapshot sync (real HTTP control plane + real Redis)', () => {
  it('loads, applies deltas, resyncs on gaps, heartbeats and reconnects, and persists', async () => {
    const store = new SnapshotStore();
    const instanceId = `test-${randomUUID()}`;
    const sync = new SnapshotSync({
      store,
      controlPlaneUrl: cp.url,
      gatewayToken: TOKEN,
      redisUrl: REDIS_URL,
      instanceId,
      version: 'test',
      cache: new DiskCache(stateDir, TOKEN),
      pin: new ControlPlaneKeyPin(stateDir),
      heartbeatMs: 100,
      log: () => {},
    });
    try {
      await sync.start();
      await until('the first snapshot', () => store.version === 1);
      expect(store.keys.get(firstKey.record.keyId)?.key.status).toBe('active');
      expect(store.credentials.values().next().value?.secret()).toBe(UPSTREAM_SECRET);
      await subscribed();

      // A delta that continues the held version is applied in place.
      const added = await b.key();
      await publish({
        kind: 'delta',
        orgId: b.orgId,
        fromVersion: 1,
        toVersion: 2,
        changes: [{ op: 'upsert_key', value: added.record }],
      });
      await until('delta 1→2', () => store.version === 2 && store.keys.has(added.record.keyId));
      expect(cp.fetches).toBe(1);

      // A revocation travels the same way.
      const revoked = { ...firstKey.record, status: 'revoked' as const, secretHash: null };
      await publish({
        kind: 'delta',
        orgId: b.orgId,
        fromVersion: 2,
        toVersion: 3,
        changes: [{ op: 'upsert_key', value: revoked }],
      });
      await until('delta 2→3', () => store.keys.get(firstKey.record.keyId)?.key.status === 'revoked');

      // A gap (a lost delta) makes the gateway fetch the full snapshot.
      b.keys.splice(0, b.keys.length, revoked, added.record);
      b.version = 5;
      cp.snapshot = b.build();
      await publish({ kind: 'delta', orgId: b.orgId, fromVersion: 4, toVersion: 5, changes: [] });
      await until('resync after a gap', () => store.version === 5);
      expect(cp.fetches).toBe(2);

      // A stale or replayed delta never moves the version back.
      await publish({
        kind: 'delta',
        orgId: b.orgId,
        fromVersion: 2,
        toVersion: 3,
        changes: [{ op: 'delete_key', id: added.record.id }],
      });
      await sleep(100);
      expect(store.version).toBe(5);
      expect(store.keys.has(added.record.keyId)).toBe(true);

      // A heartbeat ahead of the held version (an idle gateway that missed a delta) also resyncs.
      b.version = 6;
      cp.snapshot = b.build();
      await publish({ kind: 'heartbeat', orgId: b.orgId, version: 6, at: new Date().toISOString() });
      await until('resync after a heartbeat', () => store.version === 6);
      expect(cp.fetches).toBe(3);

      // A Redis reconnect resyncs (something may have been published while away).
      b.version = 7;
      cp.snapshot = b.build();
      const clients = (await publisher.client('LIST')) as string;
      const line = clients.split('\n').find((l) => l.includes(`name=portcullis-gateway-sync:${instanceId}`));
      const id = /id=(\d+)/.exec(line ?? '')?.[1];
      expect(id).toBeDefined();
      await publisher.client('KILL', 'ID', id as string);
      await until('resync after a Redis reconnect', () => store.version === 7, 8000);

      // The gateway reports its version to the control plane.
      await until('a heartbeat', () =>
        cp.heartbeats.some((h) => h.instanceId === instanceId && h.snapshotVersion === 7),
      );

      // Each good snapshot is persisted, with the snapshot key sealed (not in clear).
      await until('the disk cache', async () => {
        try {
          const file = await readFile(join(stateDir, 'snapshot.json'), 'utf8');
          return JSON.parse(file.slice(file.indexOf('\n') + 1)).version === 7;
        } catch {
          return false;
        }
      });
      const file = await readFile(join(stateDir, 'snapshot.json'), 'utf8');
      expect(file).not.toContain(b.snapshotKey.toString('base64url'));
      expect(file).not.toContain(UPSTREAM_SECRET);
    } finally {
      await sync.stop();
    }
  }, 30_000);

  it('serves from the disk cache when the control plane and Redis are unreachable; 503 with no cache', async () => {
    const offline = { controlPlaneUrl: 'http://127.0.0.1:9', redisUrl: 'redis://127.0.0.1:9', log: () => {} };
    const store = new SnapshotStore();
    const sync = new SnapshotSync({
      store,
      gatewayToken: TOKEN,
      instanceId: `test-${randomUUID()}`,
      version: 'test',
      cache: new DiskCache(stateDir, TOKEN),
      pin: new ControlPlaneKeyPin(stateDir),
      ...offline,
    });
    await sync.start();
    expect(store.version).toBe(7);
    expect(store.credentials.values().next().value?.secret()).toBe(UPSTREAM_SECRET);
    const s = await serveGateway({ store });
    try {
      expect(await (await fetch(`${s.url}/readyz`)).json()).toEqual({ status: 'ready', snapshotVersion: 7 });
    } finally {
      await s.close();
      await sync.stop();
    }

    // The cache is useless under another gateway token, and without one the gateway is not ready.
    const emptyStore = new SnapshotStore();
    const other = new SnapshotSync({
      store: emptyStore,
      gatewayToken: 'another-token',
      instanceId: `test-${randomUUID()}`,
      version: 'test',
      cache: new DiskCache(stateDir, 'another-token'),
      pin: new ControlPlaneKeyPin(stateDir),
      ...offline,
    });
    await other.start();
    const s2 = await serveGateway({ store: emptyStore });
    try {
      expect((await fetch(`${s2.url}/readyz`)).status).toBe(503);
    } finally {
      await s2.close();
      await other.stop();
    }
  });

  it('refuses a full snapshot that is not signed by the pinned key, and takes the genuine one after', async () => {
    const { dir, logs, store, sync } = await loggedSync();
    cp.signer = generateKeyPairSync('ed25519').privateKey;
    try {
      await sync.start();
      await until('the refusal', () => logs.some((l) => l.includes('REFUSING a full snapshot')));
      expect(store.version).toBeNull();
      cp.signer = CP_KEY.privateKey;
      await until('the genuine snapshot', () => store.version !== null);
    } finally {
      cp.signer = CP_KEY.privateKey;
      await sync.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses another organization's genuinely signed full snapshot, and takes its own after", async () => {
    const { dir, logs, store, sync } = await loggedSync();
    const own = cp.snapshot;
    const other = new SnapshotBuilder();
    await other.key();
    // What a man in the middle (or a mix-up) could serve: signed by the real key, for another organization.
    cp.snapshot = other.build();
    try {
      await sync.start();
      await until('the refusal', () =>
        logs.some((l) => l.includes(`REFUSING a full snapshot of org ${other.orgId}`)),
      );
      expect(store.version).toBeNull();
      expect(store.orgId).toBeNull();
      cp.snapshot = own;
      await until('its own snapshot', () => store.version !== null);
      expect(store.orgId).toBe(b.orgId);
    } finally {
      cp.snapshot = own;
      await sync.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('past compactAfter journal lines, a new signed base is fetched and the journal trimmed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-gw-'));
    const store = new SnapshotStore();
    const cache = new DiskCache(dir, TOKEN);
    const sync = new SnapshotSync({
      store,
      controlPlaneUrl: cp.url,
      gatewayToken: TOKEN,
      redisUrl: REDIS_URL,
      instanceId: `test-${randomUUID()}`,
      version: 'test',
      cache,
      pin: new ControlPlaneKeyPin(dir),
      compactAfter: 2,
      log: () => {},
    });
    const base = async () => {
      const file = await readFile(join(dir, 'snapshot.json'), 'utf8').catch(() => '');
      return file ? (JSON.parse(file.slice(file.indexOf('\n') + 1)) as { version: number }).version : null;
    };
    try {
      await sync.start();
      const v = b.version;
      await until('the first snapshot', async () => store.version === v && (await base()) === v);
      await subscribed();
      const one = await b.key();
      await publish({
        kind: 'delta',
        orgId: b.orgId,
        fromVersion: v,
        toVersion: v + 1,
        changes: [{ op: 'upsert_key', value: one.record }],
      });
      await until('delta 1 journaled', () => cache.journalLength === 1);
      // The control plane's state after the second delta, which the compaction fetches.
      const two = await b.key();
      b.version = v + 2;
      cp.snapshot = b.build();
      await publish({
        kind: 'delta',
        orgId: b.orgId,
        fromVersion: v + 1,
        toVersion: v + 2,
        changes: [{ op: 'upsert_key', value: two.record }],
      });
      await until('the new base', async () => (await base()) === v + 2 && cache.journalLength === 0);
      expect(store.version).toBe(v + 2);
      const restored = await new DiskCache(dir, TOKEN).load(
        (
          await (async () => {
            const pin = new ControlPlaneKeyPin(dir);
            await pin.load();
            return pin;
          })()
        ).key,
      );
      expect(restored?.snapshot.version).toBe(v + 2);
      expect(restored?.signed).toBe(true);
    } finally {
      await sync.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 20_000);
});

/** A sync of a fresh state dir against the stand-in control plane, its log lines kept. */
async function loggedSync() {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-gw-'));
  const logs: string[] = [];
  const store = new SnapshotStore();
  const sync = new SnapshotSync({
    store,
    controlPlaneUrl: cp.url,
    gatewayToken: TOKEN,
    redisUrl: REDIS_URL,
    instanceId: `test-${randomUUID()}`,
    version: 'test',
    cache: new DiskCache(dir, TOKEN),
    pin: new ControlPlaneKeyPin(dir),
    maxBackoffMs: 100,
    log: (line) => logs.push(line),
  });
  return { dir, logs, store, sync };
}
