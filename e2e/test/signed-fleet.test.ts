import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hash } from '@node-rs/argon2';
import { deriveKey, open, seal } from '@portcullis/shared/crypto';
import { makeKey } from '@portcullis/shared/keys';
import { signMessageText } from '@portcullis/shared/signing';
import {
  encodeSnapshot,
  parseSnapshot,
  type SnapshotKey,
  SnapshotMessageSchema,
  snapshotChannel,
} from '@portcullis/shared/snapshot';
import { ARGON2_OWASP } from '@portcullis/testing/argon2';
import { Fleet, type Gateway } from '@portcullis/testing/fleet';
import { chatAt } from '@portcullis/testing/gateway-calls';
import { eventually } from '@portcullis/testing/wait';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * Attacks on the fleet through Redis and the gateway's disk, against real processes (control plane,
 * gateways, a private Redis, Postgres, the fake upstream): whoever can publish on Redis or write the
 * state directory must not be able to add a key, hold back a revocation or outlive a gateway's removal.
 */
vi.setConfig({ testTimeout: 90_000 });
const fleet = new Fleet();
const UPSTREAM_SECRET = 'sk-fake-upstream-signed-0001';
let pub: Redis;
let sub: Redis;
/** Every message the control plane published on the organization's channel, as sent. */
const seen: string[] = [];

beforeAll(async () => {
  await fleet.start(2);
  const cred = await fleet.api<{ id: string }>('POST', `/orgs/${fleet.orgId}/provider-credentials`, {
    name: 'fake-openai',
    provider: 'openai_compatible',
    secret: UPSTREAM_SECRET,
    config: { baseUrl: `${fleet.upstream.url}/v1` },
  });
  await fleet.api('POST', `/orgs/${fleet.orgId}/models`, {
    slug: 'gpt-4o-mini',
    credentialId: cred.id,
    upstreamModel: 'gpt-4o-mini-upstream',
    inputPricePerMTok: 1,
    outputPricePerMTok: 2,
    enabled: true,
  });
  pub = new Redis(fleet.redisPort, '127.0.0.1');
  sub = new Redis(fleet.redisPort, '127.0.0.1');
  sub.on('message', (_channel: string, text: string) => seen.push(text));
  await sub.subscribe(snapshotChannel(fleet.orgId));
  for (const g of fleet.gateways) await fleet.waitReady(g);
}, 120_000);

afterAll(async () => {
  pub?.disconnect();
  sub?.disconnect();
  await fleet.stop();
}, 60_000);

const newKey = () => fleet.addKey();

async function chat(url: string, secret: string): Promise<{ status: number; code?: string }> {
  const a = await chatAt(url, secret, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  return { status: a.status, code: a.code ?? undefined };
}

const onAll = (fn: (g: Gateway) => Promise<boolean>) => async () =>
  (await Promise.all(fleet.gateways.filter((g) => g.proc).map(fn))).every(Boolean);

interface Readyz {
  status?: string;
  snapshotVersion?: number;
  controlPlaneKey?: string;
  refusedControlPlaneKey?: string;
  rejectedMessages?: { total: number; byReason: Record<string, number>; last: { reason: string } | null };
  error?: { code: string };
}
const readyz = async (g: Gateway): Promise<{ status: number; body: Readyz }> => {
  const res = await fetch(`${g.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Readyz };
};

/** The value of `portcullis_gateway_snapshot_messages_ignored_total{reason}` (0 when absent). */
async function ignored(g: Gateway, reason: string): Promise<number> {
  const text = await (await fetch(`${g.url}/metrics`)).text();
  const m = new RegExp(
    `^portcullis_gateway_snapshot_messages_ignored_total\\{reason="${reason}"\\} (\\d+)`,
    'm',
  ).exec(text);
  return m ? Number(m[1]) : 0;
}

/** A real key record from a delta the control plane published (its owner is a real member). */
async function publishedRecord(id: string): Promise<SnapshotKey> {
  let found: SnapshotKey | undefined;
  await eventually(async () => {
    for (const text of seen) {
      const msg = SnapshotMessageSchema.parse(JSON.parse(text));
      if (msg.kind !== 'delta') continue;
      for (const c of msg.changes) if (c.op === 'upsert_key' && c.value.id === id) found = c.value;
    }
    return found !== undefined;
  });
  return found as SnapshotKey;
}

/** A key the control plane never issued, shaped like a real one: what a forger wants a gateway to accept. */
async function forgedKey(template: SnapshotKey): Promise<{ secret: string; record: SnapshotKey }> {
  const made = makeKey();
  return {
    secret: made.key,
    record: {
      ...template,
      id: randomUUID(),
      keyId: made.keyId,
      name: 'forged',
      secretHash: await hash(made.secret, ARGON2_OWASP),
    },
  };
}

const channel = () => snapshotChannel(fleet.orgId);
const otherKey = generateKeyPairSync('ed25519').privateKey;

describe('forged Redis messages', () => {
  it('unsigned, signed with another key, altered and replayed messages are ignored, counted and reported; none adds a key', async () => {
    const real = await newKey();
    await eventually(onAll(async (g) => (await chat(g.url, real.secret)).status === 200));
    const template = await publishedRecord(real.id);
    const forged = await forgedKey(template);
    const g = fleet.gateways[0]!;
    const version = (await readyz(g)).body.snapshotVersion as number;
    const delta = JSON.stringify({
      kind: 'delta',
      orgId: fleet.orgId,
      fromVersion: version,
      toVersion: version + 1,
      changes: [{ op: 'upsert_key', value: forged.record }],
    });
    // The real, signed delta that created `real`, with the forged key slipped in (signature kept).
    const genuine = seen.find((t) => t.includes(real.id) && t.includes('"kind":"delta"')) as string;
    expect(genuine).toBeDefined();
    const altered = genuine.replace(
      '"changes":[',
      `"changes":[${JSON.stringify({ op: 'upsert_key', value: forged.record })},`,
    );

    const attacks: [string, string, string][] = [
      ['unsigned', delta, 'unsigned'],
      ['signed with another key', signMessageText(otherKey, delta), 'bad_signature'],
      ['altered after signing', altered, 'bad_signature'],
      ['replayed (an old, genuinely signed delta)', genuine, 'stale'],
    ];
    for (const [what, text, reason] of attacks) {
      const before = await Promise.all(fleet.gateways.map((x) => ignored(x, reason)));
      await pub.publish(channel(), text);
      await eventually(
        async () =>
          (
            await Promise.all(fleet.gateways.map((x, i) => ignored(x, reason).then((n) => n > before[i]!)))
          ).every(Boolean),
        5000,
      ).catch(() => {
        throw new Error(`${what}: not counted as ${reason}`);
      });
      for (const x of fleet.gateways) {
        expect((await chat(x.url, forged.secret)).code, what).toBe('invalid_api_key');
        expect((await readyz(x)).body.snapshotVersion, what).toBe(version);
      }
    }
    const report = (await readyz(g)).body;
    expect(report.rejectedMessages?.byReason).toMatchObject({ unsigned: expect.any(Number) });
    expect(report.rejectedMessages?.total).toBeGreaterThanOrEqual(3);
    expect(report.controlPlaneKey).toMatch(/^ed25519:[0-9a-f]{16}$/);
    expect(g.proc?.output()).toContain('ignoring a snapshot message that is not signed by the control plane');

    // Real changes still arrive, in order, after all of that.
    const later = await newKey();
    await eventually(onAll(async (x) => (await chat(x.url, later.secret)).status === 200));
  });

  it('a forged delta or heartbeat with a huge version does not make gateways skip the next real revocation', async () => {
    const doomed = await newKey();
    await eventually(onAll(async (g) => (await chat(g.url, doomed.secret)).status === 200));
    const version = (await readyz(fleet.gateways[0]!)).body.snapshotVersion as number;
    const huge = 1_000_000_000;
    const before = await ignored(fleet.gateways[0]!, 'unsigned');
    for (const body of [
      { kind: 'delta', orgId: fleet.orgId, fromVersion: version, toVersion: huge, changes: [] },
      { kind: 'heartbeat', orgId: fleet.orgId, version: huge, at: new Date().toISOString() },
    ]) {
      await pub.publish(channel(), JSON.stringify(body));
      await pub.publish(channel(), signMessageText(otherKey, JSON.stringify(body)));
    }
    await eventually(async () => (await ignored(fleet.gateways[0]!, 'unsigned')) >= before + 2, 5000);
    await fleet.api('POST', `/orgs/${fleet.orgId}/keys/${doomed.id}/revoke`);
    await eventually(onAll(async (g) => (await chat(g.url, doomed.secret)).code === 'key_revoked'));
    for (const g of fleet.gateways) expect((await readyz(g)).body.snapshotVersion).toBeLessThan(huge);
  });
});

describe("another organization's genuine messages", () => {
  it("a genuine delta and heartbeat of org B published on org A's channel are ignored (other_org) and add no key", async () => {
    const orgB = (await fleet.api<{ id: string }>('POST', '/orgs', { name: 'Channel swap org B' })).id;
    const fromB: string[] = [];
    const subB = new Redis(fleet.redisPort, '127.0.0.1');
    try {
      subB.on('message', (_c: string, text: string) => fromB.push(text));
      await subB.subscribe(snapshotChannel(orgB));
      const keyB = await fleet.api<{ key: { id: string }; secret: string }>('POST', `/orgs/${orgB}/keys`, {
        name: 'org B key',
      });
      // Org B's delta carrying its new key, as the control plane signed and published it.
      let delta: string | undefined;
      await eventually(async () => {
        delta = fromB.find((t) => {
          const m = SnapshotMessageSchema.parse(JSON.parse(t));
          return (
            m.kind === 'delta' && m.changes.some((c) => c.op === 'upsert_key' && c.value.id === keyB.key.id)
          );
        });
        return delta !== undefined;
      });
      const g = fleet.gateways[0]!;
      const before = await ignored(g, 'other_org');
      await pub.publish(channel(), delta as string);
      let heartbeat: string | undefined;
      await eventually(async () => {
        heartbeat = fromB.find((t) => SnapshotMessageSchema.parse(JSON.parse(t)).kind === 'heartbeat');
        return heartbeat !== undefined;
      });
      await pub.publish(channel(), heartbeat as string);
      await eventually(async () => (await ignored(g, 'other_org')) >= before + 2);
      expect((await chat(g.url, keyB.secret)).code).toBe('invalid_api_key');
      expect((await readyz(g)).body.rejectedMessages?.byReason.other_org).toBeGreaterThanOrEqual(1);
    } finally {
      subB.disconnect();
    }
  });
});

describe('the disk cache', () => {
  it('a journal line added on disk is not applied after a restart', async () => {
    const g = fleet.gateways[0]!;
    const real = await newKey();
    await eventually(onAll(async (x) => (await chat(x.url, real.secret)).status === 200));
    const forged = await forgedKey(await publishedRecord(real.id));
    await fleet.stopGateway(g);
    const base = readFileSync(path.join(g.stateDir, 'snapshot.json'), 'utf8');
    const baseVersion = baseSnapshotVersion(base);
    // A whole run of deltas from the base, the last one jumping far ahead (so a refetch looks stale).
    const lines = [
      JSON.stringify({
        kind: 'delta',
        orgId: fleet.orgId,
        fromVersion: baseVersion,
        toVersion: 1_000_000_000,
        changes: [{ op: 'upsert_key', value: forged.record }],
      }),
    ];
    writeFileSync(path.join(g.stateDir, 'snapshot.journal'), `${lines.join('\n')}\n`);
    await fleet.startGateway(g);
    expect((await chat(g.url, forged.secret)).code).toBe('invalid_api_key');
    expect((await chat(g.url, real.secret)).status).toBe(200);
    expect((await readyz(g)).body.snapshotVersion).toBeLessThan(1_000_000_000);
  });

  it('a snapshot altered on disk is not served after a restart, and a good one is fetched', async () => {
    const g = fleet.gateways[0]!;
    const real = await newKey();
    await eventually(onAll(async (x) => (await chat(x.url, real.secret)).status === 200));
    const forged = await forgedKey(await publishedRecord(real.id));
    await fleet.stopGateway(g);
    const file = path.join(g.stateDir, 'snapshot.json');
    writeFileSync(file, alterBase(readFileSync(file, 'utf8'), forged.record));
    rmJournal(g);
    // With the control plane down the cache is all it has: refused, so it serves nothing.
    await fleet.stopControlPlane();
    try {
      await fleet.startGateway(g, false);
      expect((await chat(g.url, forged.secret)).code).toBe('gateway_not_ready');
      expect((await readyz(g)).status).toBe(503);
      expect(g.proc?.output()).toContain('signature does not verify');
      await fleet.stopGateway(g);
    } finally {
      await fleet.startControlPlane();
    }
    await fleet.startGateway(g);
    expect((await chat(g.url, forged.secret)).code).toBe('invalid_api_key');
    expect((await chat(g.url, real.secret)).status).toBe(200);
    expect((await readyz(g)).body.snapshotVersion).toBeLessThan(1_000_000_000);
    expect(g.proc?.output()).toContain('snapshot cache');
  });

  it("another organization's genuine signed snapshot put under this gateway's cache header is not served, and does not stick", async () => {
    const g = fleet.gateways[0]!;
    const real = await newKey();
    await eventually(onAll(async (x) => (await chat(x.url, real.secret)).status === 200));
    // Org B, with a key and a gateway token: its full snapshot is genuinely signed by the same control plane.
    const orgB = (await fleet.api<{ id: string }>('POST', '/orgs', { name: 'Cache swap org B' })).id;
    const keyB = await fleet.api<{ secret: string }>('POST', `/orgs/${orgB}/keys`, { name: 'org B key' });
    const { token: tokenB } = await fleet.api<{ token: string }>('POST', `/orgs/${orgB}/gateway-tokens`, {
      name: 'edge-b',
    });
    const regB = await fleet.call('POST', '/gateway/register', {
      token: tokenB,
      body: { instanceId: 'swap' },
    });
    expect(regB.status).toBe(200);
    const snapB = await fleet.call('GET', '/gateway/snapshot', { token: tokenB });
    const bodyB = Buffer.from(snapB.text, 'utf8');
    const sigB = snapB.headers.get('x-portcullis-signature') as string;
    expect(sigB).toBeTruthy();
    await fleet.stopGateway(g);
    // Keep this gateway's own header (its sealed snapshot key opens with its token), with org B's
    // genuine body and signature: every signature on disk verifies.
    const file = path.join(g.stateDir, 'snapshot.json');
    const text = readFileSync(file, 'utf8');
    const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as Record<string, unknown>;
    writeFileSync(
      file,
      Buffer.concat([Buffer.from(`${JSON.stringify({ ...header, signature: sigB })}\n`), bodyB]),
    );
    rmJournal(g);
    // Whoever can write the directory can also remove what names the gateway's organization.
    rmSync(path.join(g.stateDir, 'credentials.json'), { force: true });
    await fleet.stopControlPlane();
    try {
      await fleet.startGateway(g, false);
      expect((await chat(g.url, keyB.secret)).code).toBe('gateway_not_ready');
      expect((await readyz(g)).status).toBe(503);
      await fleet.stopGateway(g);
      writeFileSync(
        file,
        Buffer.concat([Buffer.from(`${JSON.stringify({ ...header, signature: sigB })}\n`), bodyB]),
      );
    } finally {
      await fleet.startControlPlane();
    }
    // With the control plane up, the token's organization wins: org A's snapshot, not B's.
    await fleet.startGateway(g);
    await eventually(async () => (await chat(g.url, real.secret)).status === 200);
    expect((await chat(g.url, keyB.secret)).code).toBe('invalid_api_key');
  });

  it('an unsigned snapshot cached before signing is refused once the key is pinned, and a signed one fetched', async () => {
    const real = await newKey();
    await eventually(onAll(async (x) => (await chat(x.url, real.secret)).status === 200));
    const forged = await forgedKey(await publishedRecord(real.id));
    const { token, gateway } = await fleet.api<{ token: string; gateway: { id: string } }>(
      'POST',
      `/orgs/${fleet.orgId}/gateway-tokens`,
      { name: 'edge-upgraded' },
    );
    const reg = (
      await fleet.call<{ snapshotKey: string }>('POST', '/gateway/register', {
        token,
        body: { instanceId: 'setup' },
      })
    ).body;
    const snapshot = parseSnapshot((await fleet.call('GET', '/gateway/snapshot', { token })).body);
    // An unsigned cache (format 2) on disk, here with a forged key and a version
    // far ahead, so that a refetch alone would look stale.
    const g = await fleet.addGateway(token, 'edge-upgraded');
    writeFileSync(
      path.join(g.stateDir, 'snapshot.json'),
      JSON.stringify({
        format: 2,
        savedAt: new Date().toISOString(),
        sealedSnapshotKey: seal(
          deriveKey(token, 'portcullis-gateway-cache'),
          reg.snapshotKey,
          1,
          'snapshot-key',
        ),
        snapshot: encodeSnapshot({
          ...snapshot,
          version: 1_000_000_000,
          keys: [...snapshot.keys, forged.record],
        }),
      }),
    );
    await fleet.startGateway(g);
    await eventually(async () => (await chat(g.url, real.secret)).status === 200);
    expect((await chat(g.url, forged.secret)).code).toBe('invalid_api_key');
    expect((await readyz(g)).body.snapshotVersion).toBeLessThan(1_000_000_000);
    expect(existsSync(path.join(g.stateDir, 'control-plane-key.json'))).toBe(true);
    await eventually(async () =>
      readFileSync(path.join(g.stateDir, 'snapshot.json'), 'utf8').includes('"signature"'),
    );
    await fleet.stopGateway(g);
    await fleet.api('DELETE', `/orgs/${fleet.orgId}/gateways/${gateway.id}`);
  });
});

describe('removing a gateway', () => {
  it('cuts it off within a heartbeat (503 gateway_removed, /readyz, cache deleted, nothing after a restart) while the others keep serving with the rotated sealing key', async () => {
    const [keep, gone] = fleet.gateways as [Gateway, Gateway];
    const { secret } = await newKey();
    await eventually(onAll(async (g) => (await chat(g.url, secret)).status === 200));
    const register = (token: string) =>
      fleet.call<{ snapshotKey: string }>('POST', '/gateway/register', {
        token,
        body: { instanceId: 'probe' },
      });
    const oldKey = (await register(gone.token)).body.snapshotKey;
    const list = await fleet.api<{ data: { id: string; name: string }[] }>(
      'GET',
      `/orgs/${fleet.orgId}/gateways`,
    );
    const goneId = list.data.find((x) => x.name === gone.name)?.id as string;

    await fleet.api('DELETE', `/orgs/${fleet.orgId}/gateways/${goneId}`);
    expect((await register(gone.token)).status).toBe(401);
    // Within the gateway's next heartbeat (every 5 s; allowed two here so a busy machine does not flake).
    await eventually(async () => (await chat(gone.url, secret)).code === 'gateway_removed', 10_000);
    expect(await chat(gone.url, secret)).toEqual({ status: 503, code: 'gateway_removed' });
    const r = await readyz(gone);
    expect(r.status).toBe(503);
    expect(r.body.error?.code).toBe('gateway_removed');
    // It stops serving first, then deletes its cache.
    await eventually(
      async () =>
        !existsSync(path.join(gone.stateDir, 'snapshot.json')) &&
        !existsSync(path.join(gone.stateDir, 'snapshot.journal')),
    );
    expect(gone.proc?.output()).toContain('removed');

    // On its next start it serves nothing.
    await fleet.stopGateway(gone);
    await fleet.startGateway(gone, false);
    await eventually(async () => (await readyz(gone)).body.error?.code === 'gateway_removed');
    expect(await chat(gone.url, secret)).toEqual({ status: 503, code: 'gateway_removed' });

    // The organization's sealing key moved on: what the removed gateway held opens nothing current.
    const newKeyText = (await register(keep.token)).body.snapshotKey;
    expect(newKeyText).not.toBe(oldKey);
    const current = parseSnapshot((await fleet.call('GET', '/gateway/snapshot', { token: keep.token })).body);
    const sealed = current.credentials[0]!;
    expect(() => open(Buffer.from(oldKey, 'base64url'), sealed.sealedSecret, sealed.id)).toThrow();
    expect(open(Buffer.from(newKeyText, 'base64url'), sealed.sealedSecret, sealed.id)).toBe(UPSTREAM_SECRET);

    // The gateway that stays picks the new key up by itself and keeps forwarding with the provider secret.
    const before = fleet.upstream.requests.length;
    await eventually(async () => (await chat(keep.url, secret)).status === 200);
    const fresh = await newKey();
    await eventually(async () => (await chat(keep.url, fresh.secret)).status === 200);
    expect(fleet.upstream.requests.length).toBeGreaterThan(before);
    expect(fleet.upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);
    // And after a restart, from its cache and the control plane.
    await fleet.stopGateway(keep);
    await fleet.startGateway(keep);
    expect((await chat(keep.url, fresh.secret)).status).toBe(200);
  });
});

/** The snapshot version of a cache file (format 3: header line, then the snapshot as sent). */
function baseSnapshotVersion(file: string): number {
  const nl = file.indexOf('\n');
  const snapshot = (nl >= 0 ? JSON.parse(file.slice(nl + 1)) : JSON.parse(file).snapshot) as {
    version: number;
  };
  return snapshot.version;
}

/** The cache file with the forged key added to its snapshot and the version moved far ahead. */
function alterBase(file: string, record: SnapshotKey): string {
  const nl = file.indexOf('\n');
  const [head, body] = nl >= 0 ? [file.slice(0, nl), file.slice(nl + 1)] : ['', file];
  const snapshot = parseSnapshot(nl >= 0 ? JSON.parse(body) : JSON.parse(file).snapshot);
  const altered = JSON.stringify(
    encodeSnapshot({ ...snapshot, version: 1_000_000_000, keys: [...snapshot.keys, record] }),
  );
  if (nl >= 0) return `${head}\n${altered}`;
  return JSON.stringify({ ...JSON.parse(file), snapshot: JSON.parse(altered) });
}

function rmJournal(g: Gateway): void {
  writeFileSync(path.join(g.stateDir, 'snapshot.journal'), '');
}

describe('the pinned control-plane key', () => {
  it('a registration presenting another key is refused loudly until the operator deletes the pin file', async () => {
    const g = fleet.gateways[0]!;
    const { secret } = await newKey();
    await eventually(async () => (await chat(g.url, secret)).status === 200);
    const pinFile = path.join(g.stateDir, 'control-plane-key.json');
    const pinned = JSON.parse(readFileSync(pinFile, 'utf8')) as { publicKey: string };
    const real = (await readyz(g)).body.controlPlaneKey;
    await fleet.stopGateway(g);
    // As if the gateway had first met another control plane (or this one's key were replaced).
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x as string;
    writeFileSync(pinFile, JSON.stringify({ ...pinned, publicKey: other }));
    await fleet.startGateway(g, false);
    await eventually(async () => (await readyz(g)).body.refusedControlPlaneKey === real);
    const r = await readyz(g);
    expect(r.status).toBe(503);
    expect(r.body.controlPlaneKey).not.toBe(real);
    expect(g.proc?.output()).toContain('REFUSING the control plane');
    expect(g.proc?.output()).toContain('delete that file');
    // Its cache was signed by a key it does not trust now: nothing is served.
    expect((await chat(g.url, secret)).code).toBe('gateway_not_ready');
    expect(JSON.parse(readFileSync(pinFile, 'utf8')).publicKey).toBe(other);

    // The operator resets the pin: stop, delete the file, start.
    await fleet.stopGateway(g);
    rmSync(pinFile);
    await fleet.startGateway(g);
    expect((await readyz(g)).body.controlPlaneKey).toBe(real);
    expect(JSON.parse(readFileSync(pinFile, 'utf8')).publicKey).toBe(pinned.publicKey);
    expect((await chat(g.url, secret)).status).toBe(200);
  });
});
