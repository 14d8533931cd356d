import { describe, expect, it } from 'vitest';
import { evaluationTime, newlyCrossed } from './thresholds';

describe('newlyCrossed', () => {
  const t = [50, 80, 100];
  it('names every threshold reached, ascending, once spend gets there', () => {
    expect(newlyCrossed(t, 0, 1)).toEqual([]);
    expect(newlyCrossed(t, 0.499999, 1)).toEqual([]);
    expect(newlyCrossed(t, 0.5, 1)).toEqual([50]);
    expect(newlyCrossed(t, 0.85, 1)).toEqual([50, 80]);
    expect(newlyCrossed(t, 1, 1)).toEqual([50, 80, 100]);
    expect(newlyCrossed(t, 7, 1)).toEqual([50, 80, 100]);
    expect(newlyCrossed([100, 50], 0.6, 1)).toEqual([50]);
  });
  it('leaves out what already fired', () => {
    expect(newlyCrossed(t, 0.9, 1, new Set([50]))).toEqual([80]);
    expect(newlyCrossed(t, 0.9, 1, new Set([50, 80]))).toEqual([]);
    expect(newlyCrossed(t, 1.2, 1, new Set([50, 80]))).toEqual([100]);
  });
  it('is exact in micro-dollars where floats are not', () => {
    // 0.1 + 0.2 = 0.30000000000000004; 30 % of $1 is reached by $0.30 exactly.
    expect(newlyCrossed([30], 0.1 + 0.2, 1)).toEqual([30]);
    expect(newlyCrossed([30], 0.299999, 1)).toEqual([]);
    expect(newlyCrossed([80], 800_000_000, 1_000_000_000)).toEqual([80]);
    expect(newlyCrossed([80], 799_999_999.999999, 1_000_000_000)).toEqual([]);
  });
  it('ignores nonsense: no limit, nothing spent, odd thresholds', () => {
    expect(newlyCrossed(t, 1, 0)).toEqual([]);
    expect(newlyCrossed(t, 0, 0)).toEqual([]);
    expect(newlyCrossed([0, -5, 50.5, 50, 50], 1, 1)).toEqual([50]);
  });
});

describe('evaluationTime', () => {
  const now = Date.UTC(2026, 2, 10, 15, 30);
  it('is now for spend dated today, earlier or unknown', () => {
    expect(evaluationTime(now, '2026-03-10')).toBe(now);
    expect(evaluationTime(now, '2026-03-01')).toBe(now);
    expect(evaluationTime(now, null)).toBe(now);
    expect(evaluationTime(now, 'garbage')).toBe(now);
  });
  it('is the start of a later day when the newest spend is dated there', () => {
    expect(evaluationTime(now, '2026-03-11')).toBe(Date.UTC(2026, 2, 11));
  });
});
