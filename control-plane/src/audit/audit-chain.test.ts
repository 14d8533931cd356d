import { describe, expect, it } from 'vitest';
import { chainHash, redact } from './audit-chain';

const base = {
  id: '00000000-0000-4000-8000-000000000001',
  orgId: '00000000-0000-4000-8000-000000000002',
  seq: '1',
  actorType: 'user',
  actorId: null,
  action: 'key.created',
  targetType: 'api_key',
  targetId: 'k',
  sourceIp: '127.0.0.1',
  before: null,
  after: { b: 1, a: { y: 2, x: 1 } },
  createdAt: '2026-01-01T00:00:00.000Z',
  prevHash: '',
};

describe('chainHash', () => {
  it('does not depend on key order', () => {
    expect(chainHash(base)).toBe(chainHash({ ...base, after: { a: { x: 1, y: 2 }, b: 1 } }));
  });
  it('changes when any field changes', () => {
    const h = chainHash(base);
    expect(chainHash({ ...base, action: 'key.deleted' })).not.toBe(h);
    expect(chainHash({ ...base, prevHash: 'x' })).not.toBe(h);
    expect(chainHash({ ...base, after: { b: 2, a: { y: 2, x: 1 } } })).not.toBe(h);
  });
});

describe('redact', () => {
  it('removes secret-looking fields at any depth', () => {
    expect(redact({ name: 'a', secret: 's', nested: [{ passwordHash: 'h', ok: 1 }] })).toEqual({
      name: 'a',
      secret: '[redacted]',
      nested: [{ passwordHash: '[redacted]', ok: 1 }],
    });
  });
  it('keeps limits whose names merely contain a secret-ish word', () => {
    expect(redact({ limits: { tokensPerMinute: 10, inputTokensPerMinute: 5 }, token: 't' })).toEqual({
      limits: { tokensPerMinute: 10, inputTokensPerMinute: 5 },
      token: '[redacted]',
    });
  });
});
