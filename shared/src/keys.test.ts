import { describe, expect, it } from 'vitest';
import { displayPrefix, KEY_TOTAL_LENGTH, makeKey, parseKey } from './keys';

describe('key format', () => {
  it('round-trips a freshly made key', () => {
    const { key, keyId, secret } = makeKey();
    expect(key).toHaveLength(KEY_TOTAL_LENGTH);
    expect(key.startsWith(displayPrefix(keyId))).toBe(true);
    expect(parseKey(key)).toEqual({ ok: true, value: { keyId, secret } });
  });

  it('keeps the key id when asked (rotation)', () => {
    const a = makeKey();
    const b = makeKey(a.keyId);
    expect(b.keyId).toBe(a.keyId);
    expect(b.secret).not.toBe(a.secret);
  });

  it('rejects a single changed character by checksum', () => {
    const { key } = makeKey();
    const i = 20;
    const swapped = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
    expect(parseKey(swapped)).toEqual({ ok: false, reason: 'bad_checksum' });
  });

  it('rejects malformed shapes before the checksum', () => {
    const { key } = makeKey();
    expect(parseKey('')).toEqual({ ok: false, reason: 'malformed' });
    expect(parseKey(key.slice(1))).toEqual({ ok: false, reason: 'malformed' });
    expect(parseKey(`sk_${key.slice(3)}`)).toEqual({ ok: false, reason: 'malformed' });
    expect(parseKey(key.replace('_', '-'))).toEqual({ ok: false, reason: 'malformed' });
    expect(parseKey(`${key.slice(0, -1)}!`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('draws secrets with at least 256 bits', () => {
    const { secret } = makeKey();
    expect(secret.length * Math.log2(62)).toBeGreaterThanOrEqual(256);
    const seen = new Set(Array.from({ length: 200 }, () => makeKey().secret));
    expect(seen.size).toBe(200);
  });
});
