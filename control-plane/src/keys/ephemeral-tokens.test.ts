import { describe, expect, it } from 'vitest';
import { ephemeralTokenExpiry } from './ephemeral-tokens';

describe('ephemeralTokenExpiry', () => {
  const now = Date.parse('2026-06-01T00:00:00.000Z');
  it('is now + seconds for a key that never expires or expires later', () => {
    expect(ephemeralTokenExpiry(now, 900, null).toISOString()).toBe('2026-06-01T00:15:00.000Z');
    expect(ephemeralTokenExpiry(now, 900, new Date('2026-06-02T00:00:00.000Z')).toISOString()).toBe(
      '2026-06-01T00:15:00.000Z',
    );
  });
  it("is capped at the parent's expiry", () => {
    const parent = new Date('2026-06-01T00:05:00.000Z');
    expect(ephemeralTokenExpiry(now, 86_400, parent).toISOString()).toBe(parent.toISOString());
  });
});
