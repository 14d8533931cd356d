import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  encodeSnapshot,
  type OrgSnapshot,
  parseSnapshot,
  SnapshotChangeSchema,
  SnapshotFormatError,
  type SnapshotKey,
  type WireKey,
} from './snapshot';

const orgId = randomUUID();
const owner = randomUUID();
const key = (i: number, overrides: Partial<SnapshotKey> = {}): SnapshotKey => ({
  id: randomUUID(),
  keyId: `k${i}`,
  orgId,
  ownerId: owner,
  name: `key ${i}`,
  secretHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
  status: 'active',
  expiresAt: null,
  ownerStatus: 'active',
  rotatedAt: null,
  limits: {
    requestsPerMinute: 60,
    tokensPerMinute: null,
    inputTokensPerMinute: null,
    outputTokensPerMinute: null,
    concurrentRequests: 4,
  },
  budget: null,
  allowedProviders: ['openai'],
  allowedModels: [],
  ipAllowlist: ['10.0.0.0/8'],
  metadata: { team: 'a' },
  mcp: { enabled: false, mode: 'allow_all', servers: [], tools: {} },
  allowCallsWithoutModel: false,
  ...overrides,
});

const snapshot = (keys: SnapshotKey[]): OrgSnapshot => ({
  orgId,
  version: 3,
  generatedAt: new Date().toISOString(),
  keys,
  credentials: [],
  models: [],
});

describe('snapshot wire format', () => {
  it('round-trips, sending each distinct policy, owner and metadata once', () => {
    const keys = [
      key(1),
      key(2),
      key(3, { status: 'revoked', secretHash: null, expiresAt: '2030-01-01T00:00:00.000Z' }),
      key(4, { ipAllowlist: [], metadata: {}, ownerId: randomUUID(), ownerStatus: 'suspended' }),
      key(5, { budget: { limitUsd: 5, period: 'daily', alertThresholds: [50, 100] } }),
    ];
    const original = snapshot(keys);
    const wire = JSON.parse(JSON.stringify(encodeSnapshot(original)));
    expect(wire.format).toBe(2);
    expect(wire.policies).toHaveLength(3);
    expect(wire.owners).toHaveLength(2);
    expect(wire.metadata).toHaveLength(2);
    const decoded = parseSnapshot(wire);
    expect(decoded).toEqual(original);
    // Keys with one policy share its objects.
    expect(decoded.keys[0]?.limits).toBe(decoded.keys[1]?.limits);
  });

  it('carries allowCallsWithoutModel in the policy; a policy without it means false', () => {
    const keys = [key(1), key(2, { allowCallsWithoutModel: true })];
    const wire = JSON.parse(JSON.stringify(encodeSnapshot(snapshot(keys))));
    expect(wire.policies).toHaveLength(2);
    const decoded = parseSnapshot(wire);
    expect(decoded.keys.map((k) => k.allowCallsWithoutModel)).toEqual([false, true]);
    for (const p of wire.policies) delete p.allowCallsWithoutModel;
    expect(parseSnapshot(wire).keys.map((k) => k.allowCallsWithoutModel)).toEqual([false, false]);
    expect(() =>
      parseSnapshot({ ...wire, policies: [{ ...wire.policies[0], allowCallsWithoutModel: 'yes' }] }),
    ).toThrow();
  });

  it('still reads the object form (control planes before format 2)', () => {
    const s = snapshot([key(1)]);
    expect(parseSnapshot(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect(() => parseSnapshot({ ...s, keys: [{ ...key(2), status: 'expired' }] })).toThrow();
  });

  it('rejects malformed input with an error, never a half-decoded snapshot', () => {
    const wire = JSON.parse(JSON.stringify(encodeSnapshot(snapshot([key(1), key(2)])))) as {
      keys: WireKey[];
    };
    const withKey = (patch: (k: WireKey) => unknown) => ({
      ...wire,
      keys: [wire.keys[0], patch([...(wire.keys[1] as WireKey)] as WireKey)],
    });
    const bad: unknown[] = [
      withKey((k) => k.slice(0, 9)),
      withKey((k) => Object.assign(k, { 0: 'not-a-uuid' })),
      withKey((k) => Object.assign(k, { 4: 'expired' })),
      withKey((k) => Object.assign(k, { 3: 42 })),
      withKey((k) => Object.assign(k, { 7: 1 })),
      withKey((k) => Object.assign(k, { 8: '0' })),
      withKey((k) => Object.assign(k, { 9: -1 })),
      withKey(() => 'k'),
      { ...wire, owners: [[owner, 'gone']] },
      { ...wire, metadata: [[]] },
    ];
    for (const b of bad) expect(() => parseSnapshot(b)).toThrow(SnapshotFormatError);
    expect(() => parseSnapshot({ ...wire, policies: [{}] })).toThrow();
    expect(() => parseSnapshot({ ...wire, format: 3 })).toThrow();
    expect(() => parseSnapshot(null)).toThrow();
  });
});

describe('MCP servers in the snapshot', () => {
  const server = {
    id: randomUUID(),
    name: 'github',
    url: 'https://mcp.example.com/mcp',
    sealedHeaders: 'v1.aXY.Y3Q.dGFn',
    enabled: true,
  };

  it('round-trip in the full snapshot; snapshots without them parse', () => {
    const withServers: OrgSnapshot = {
      ...snapshot([key(1)]),
      mcpServers: [server, { ...server, id: randomUUID(), name: 'open', sealedHeaders: null }],
    };
    expect(parseSnapshot(JSON.parse(JSON.stringify(encodeSnapshot(withServers))))).toEqual(withServers);
    const old = JSON.parse(JSON.stringify(encodeSnapshot(snapshot([key(1)]))));
    expect('mcpServers' in old).toBe(false);
    expect(parseSnapshot(old).mcpServers).toBeUndefined();
    expect(() => parseSnapshot({ ...old, mcpServers: [{ ...server, sealedHeaders: 'plain' }] })).toThrow();
  });

  it("keys' MCP resource and prompt lists travel in the full snapshot and in deltas; policies without them still parse", () => {
    const mcp = {
      enabled: true,
      mode: 'allow_list' as const,
      servers: ['github'],
      tools: { github: ['search_issues'] },
      resources: { github: ['file:///docs/*'] },
      prompts: { github: ['code_review'] },
    };
    const s = snapshot([key(1, { mcp }), key(2)]);
    const decoded = parseSnapshot(JSON.parse(JSON.stringify(encodeSnapshot(s))));
    expect(decoded.keys[0]?.mcp).toEqual(mcp);
    expect(decoded.keys[1]?.mcp).toEqual({ enabled: false, mode: 'allow_all', servers: [], tools: {} });
    const delta = SnapshotChangeSchema.parse({ op: 'upsert_key', value: key(3, { mcp }) });
    expect(delta.op === 'upsert_key' && delta.value.mcp).toEqual(mcp);
    expect(
      SnapshotChangeSchema.safeParse({
        op: 'upsert_key',
        value: key(3, { mcp: { ...mcp, resources: { github: 'x' } } as never }),
      }).success,
    ).toBe(false);
  });

  it('travel in deltas as upsert_mcp_server / delete_mcp_server', () => {
    expect(SnapshotChangeSchema.parse({ op: 'upsert_mcp_server', value: server })).toEqual({
      op: 'upsert_mcp_server',
      value: server,
    });
    expect(SnapshotChangeSchema.safeParse({ op: 'delete_mcp_server', id: server.id }).success).toBe(true);
    expect(SnapshotChangeSchema.safeParse({ op: 'delete_mcp_server', id: 'github' }).success).toBe(false);
  });
});
