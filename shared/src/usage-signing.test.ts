import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  makeUsageSigningSecret,
  parseUsageSigningSecret,
  signUsageEvent,
  verifyUsageEvent,
} from './usage-signing';

const secret = parseUsageSigningSecret(makeUsageSigningSecret()) as Buffer;
const event = {
  id: 'e1',
  gatewayId: 'g1',
  costUsd: 0.000123,
  latencyMs: 12.5,
  userAgent: 'ua "quoted" \u00e9 \ud83d\ude00',
  metadata: { b: [1, { z: 1, a: null }], a: 'x' },
};

describe('usage signing', () => {
  it('canonical JSON sorts keys at every depth and survives a serialize/parse round trip', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { y: 1, x: 2 }], c: null }, u: undefined })).toBe(
      '{"a":{"c":null,"d":[3,{"x":2,"y":1}]},"b":1}',
    );
    expect(canonicalJson(JSON.parse(JSON.stringify(event)))).toBe(canonicalJson(event));
  });

  it('a signed event verifies after parsing, and not once any field is altered, added or removed', () => {
    const parsed = JSON.parse(signUsageEvent(event, secret)) as Record<string, unknown>;
    expect(verifyUsageEvent(parsed, secret)).toBe(true);
    expect(verifyUsageEvent(parsed, parseUsageSigningSecret(makeUsageSigningSecret()) as Buffer)).toBe(false);
    expect(verifyUsageEvent({ ...parsed, costUsd: 0.000124 }, secret)).toBe(false);
    expect(verifyUsageEvent({ ...parsed, gatewayId: 'g2' }, secret)).toBe(false);
    expect(verifyUsageEvent({ ...parsed, extra: 1 }, secret)).toBe(false);
    const { latencyMs: _, ...less } = parsed;
    expect(verifyUsageEvent(less, secret)).toBe(false);
    expect(verifyUsageEvent({ ...parsed, sig: 'v1.' }, secret)).toBe(false);
    expect(verifyUsageEvent({ ...parsed, sig: 42 }, secret)).toBe(false);
  });

  it('a number JSON cannot hold (1e400 parses as Infinity, which canonical JSON writes as null) never verifies', () => {
    const text = signUsageEvent(event, secret);
    expect(text).toContain('"a":null');
    const swapped = JSON.parse(text.replace('"a":null', '"a":1e400')) as Record<string, unknown>;
    expect(verifyUsageEvent(swapped, secret)).toBe(false);
    expect(verifyUsageEvent(JSON.parse(text.replace('"latencyMs":12.5', '"latencyMs":"12.5"')), secret)).toBe(
      false,
    );
  });

  it('takes only 32-byte base64url secrets', () => {
    expect(parseUsageSigningSecret('short')).toBeNull();
    expect(parseUsageSigningSecret(`${makeUsageSigningSecret()}=`)).toBeNull();
    expect(parseUsageSigningSecret(makeUsageSigningSecret())?.length).toBe(32);
  });
});
