import { describe, expect, it } from 'vitest';
import { formatDateTime, formatPercent, formatRelative, formatUsd } from './format';

describe('format', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');

  it('says how long ago, or Never', () => {
    expect(formatRelative(null, now)).toBe('Never');
    expect(formatRelative('2026-11-23T11:59:30Z', now)).toBe('just now');
    expect(formatRelative('2026-11-23T11:57:00Z', now)).toBe('3 minutes ago');
    expect(formatRelative('2026-11-25T12:00:00Z', now)).toBe('in 2 days');
  });

  it('shows shares as percentages without pretending to precision', () => {
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.0004)).toBe('<0.1%');
    expect(formatPercent(0.0512)).toBe('5.1%');
    expect(formatPercent(0.5)).toBe('50%');
  });

  it('shows dates in UTC and money in dollars', () => {
    expect(formatDateTime('2026-01-02T03:04:00Z')).toBe('Jan 2, 2026, 03:04 AM UTC');
    expect(formatDateTime(null)).toBe('—');
    expect(formatUsd(1.5)).toBe('$1.50');
  });
});
