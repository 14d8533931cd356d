import { describe, expect, it } from 'vitest';
import { isDay, resolveRange } from './usage';

const NOW = Date.parse('2026-11-23T16:52:27.425Z');

describe('resolveRange', () => {
  it('asks for 24 whole hours for the last 24 hours, so no hour of the day appears twice', () => {
    const range = resolveRange({ range: '24h' }, NOW);
    expect(range).toEqual({
      from: '2026-11-22T17:00:00.000Z',
      to: '2026-11-23T16:52:27.425Z',
      bucket: 'hour',
    });
  });

  it('asks for whole days for 7 and 30 days', () => {
    expect(resolveRange({ range: '7d' }, NOW)).toEqual({
      from: '2026-11-17T00:00:00.000Z',
      to: '2026-11-23T16:52:27.425Z',
      bucket: 'day',
    });
    expect(resolveRange({ range: '30d' }, NOW)?.from).toBe('2026-10-25T00:00:00.000Z');
  });

  it('reads a custom range as whole UTC days, the end day included; one day by the hour', () => {
    expect(resolveRange({ range: 'custom', from: '2026-11-01', to: '2026-11-07' }, NOW)).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-08T00:00:00.000Z',
      bucket: 'day',
    });
    expect(resolveRange({ range: 'custom', from: '2026-11-05', to: '2026-11-05' }, NOW)).toEqual({
      from: '2026-11-05T00:00:00.000Z',
      to: '2026-11-06T00:00:00.000Z',
      bucket: 'hour',
    });
  });

  it('has nothing to ask while a custom date is missing or malformed', () => {
    expect(resolveRange({ range: 'custom', from: '2026-11-05' }, NOW)).toBeNull();
    expect(resolveRange({ range: 'custom', from: '2026-11-05', to: '2026-13-45' }, NOW)).toBeNull();
    expect(isDay('2026-11-05')).toBe(true);
    expect(isDay('5 Nov 2026')).toBe(false);
  });
});
