import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey, open, parseKey32, seal, sealedVersion } from './crypto';

describe('seal / open', () => {
  const key = randomBytes(32);
  it('round-trips and records the key version', () => {
    const s = seal(key, 'sk-test-secret', 3, 'cred-1');
    expect(sealedVersion(s)).toBe(3);
    expect(s).not.toContain('sk-test');
    expect(open(key, s, 'cred-1')).toBe('sk-test-secret');
  });
  it('fails closed on tampering, a wrong key or a wrong context', () => {
    const s = seal(key, 'secret', 1, 'a');
    const parts = s.split('.');
    const data = Buffer.from(parts[3] ?? '', 'base64url');
    data[0] = (data[0] ?? 0) ^ 1;
    const tampered = [parts[0], parts[1], parts[2], data.toString('base64url')].join('.');
    expect(() => open(key, tampered, 'a')).toThrow();
    expect(() => open(randomBytes(32), s, 'a')).toThrow();
    expect(() => open(key, s, 'b')).toThrow();
    expect(() => open(key, 'garbage')).toThrow();
  });
  it('refuses a truncated authentication tag (GCM would otherwise check only its prefix)', () => {
    const s = seal(key, 'secret', 1, 'a');
    const [v, iv, tag, data] = s.split('.') as [string, string, string, string];
    const full = Buffer.from(tag, 'base64url');
    expect(full).toHaveLength(16);
    for (const len of [4, 8, 12, 15]) {
      const truncated = [v, iv, full.subarray(0, len).toString('base64url'), data].join('.');
      expect(() => open(key, truncated, 'a'), `${len}-byte tag`).toThrow(/tag/);
    }
    const longer = [v, iv, Buffer.concat([full, Buffer.alloc(1)]).toString('base64url'), data].join('.');
    expect(() => open(key, longer, 'a')).toThrow();
  });
});

describe('keys', () => {
  it('parses base64 and hex 32-byte keys only', () => {
    const k = randomBytes(32);
    expect(parseKey32(k.toString('base64'))?.equals(k)).toBe(true);
    expect(parseKey32(k.toString('hex'))?.equals(k)).toBe(true);
    expect(parseKey32('short')).toBeNull();
  });
  it('derives distinct keys per purpose', () => {
    expect(deriveKey('t', 'a').equals(deriveKey('t', 'b'))).toBe(false);
    expect(deriveKey('t', 'a')).toHaveLength(32);
  });
});
