import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CreateEphemeralTokenSchema } from './api-keys';
import { encodeSnapshot, type OrgSnapshot, parseSnapshot, SnapshotChangeSchema } from './snapshot';

describe('CreateEphemeralTokenSchema', () => {
  it('defaults to 900 s and takes whole seconds from 1 to 86400', () => {
    expect(CreateEphemeralTokenSchema.parse({})).toEqual({ expiresInSeconds: 900 });
    expect(CreateEphemeralTokenSchema.parse({ expiresInSeconds: 1 }).expiresInSeconds).toBe(1);
    expect(CreateEphemeralTokenSchema.parse({ expiresInSeconds: 86_400 }).expiresInSeconds).toBe(86_400);
    for (const bad of [0, -1, 1.5, 86_401, '60', null, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(CreateEphemeralTokenSchema.safeParse({ expiresInSeconds: bad }).success, String(bad)).toBe(
        false,
      );
    }
    expect(CreateEphemeralTokenSchema.safeParse({ expiresInSeconds: 60, extra: 1 }).success).toBe(false);
  });
});

describe('ephemeral tokens on the wire', () => {
  const token = {
    id: randomUUID(),
    tokenId: 'AbCdEf123456',
    apiKeyId: randomUUID(),
    secretHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    expiresAt: new Date().toISOString(),
  };
  const snapshot: OrgSnapshot = {
    orgId: randomUUID(),
    version: 2,
    generatedAt: new Date().toISOString(),
    keys: [],
    credentials: [],
    models: [],
    ephemeralTokens: [token],
  };

  it('travel in the full snapshot and come back equal; snapshots without them parse', () => {
    expect(parseSnapshot(JSON.parse(JSON.stringify(encodeSnapshot(snapshot)))).ephemeralTokens).toEqual([
      token,
    ]);
    const { ephemeralTokens: _none, ...older } = snapshot;
    expect(parseSnapshot(JSON.parse(JSON.stringify(encodeSnapshot(older)))).ephemeralTokens).toBeUndefined();
  });

  it('a malformed token is refused, in the snapshot and in a delta', () => {
    const wire = encodeSnapshot({ ...snapshot, ephemeralTokens: [{ ...token, apiKeyId: 'nope' }] });
    expect(() => parseSnapshot(JSON.parse(JSON.stringify(wire)))).toThrow();
    expect(SnapshotChangeSchema.safeParse({ op: 'upsert_ephemeral_token', value: token }).success).toBe(true);
    expect(
      SnapshotChangeSchema.safeParse({ op: 'upsert_ephemeral_token', value: { ...token, secretHash: null } })
        .success,
    ).toBe(false);
    expect(SnapshotChangeSchema.safeParse({ op: 'delete_ephemeral_tokens', apiKeyId: 'x' }).success).toBe(
      false,
    );
  });
});
