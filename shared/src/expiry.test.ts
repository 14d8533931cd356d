import { describe, expect, it } from 'vitest';
import { expiryFromPreset } from './expiry';

describe('expiryFromPreset', () => {
  const now = new Date('2026-02-28T12:00:00.000Z');
  it('never has no expiry', () => expect(expiryFromPreset('never', now)).toBeNull());
  it('counts whole days', () => {
    expect(expiryFromPreset('30d', now)?.toISOString()).toBe('2026-03-30T12:00:00.000Z');
    expect(expiryFromPreset('180d', now)?.toISOString()).toBe('2026-08-27T12:00:00.000Z');
  });
  it('1y is a calendar year', () => {
    expect(expiryFromPreset('1y', now)?.toISOString()).toBe('2027-02-28T12:00:00.000Z');
  });
});
