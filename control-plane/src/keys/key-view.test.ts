import { describe, expect, it } from 'vitest';
import { deriveStatus } from './key-view';

describe('deriveStatus', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const past = new Date('2026-05-31T23:59:59Z');
  const future = new Date('2026-06-01T00:00:01Z');
  it('keeps stored statuses while unexpired', () => {
    expect(deriveStatus('active', null, now)).toBe('active');
    expect(deriveStatus('inactive', future, now)).toBe('inactive');
  });
  it('derives expired from expiresAt, at the instant itself too', () => {
    expect(deriveStatus('active', past, now)).toBe('expired');
    expect(deriveStatus('inactive', past, now)).toBe('expired');
    expect(deriveStatus('active', now, now)).toBe('expired');
  });
  it('revoked is final, whatever the expiry', () => {
    expect(deriveStatus('revoked', past, now)).toBe('revoked');
    expect(deriveStatus('revoked', null, now)).toBe('revoked');
  });
});
