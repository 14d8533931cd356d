import { describe, expect, it } from 'vitest';
import { callCostMicro } from './meter.js';

describe('callCostMicro', () => {
  const priced = { inputPricePerMTok: 2, outputPricePerMTok: 10 };
  const free = { inputPricePerMTok: 0, outputPricePerMTok: 0 };

  it('prices tokens at the model price, whatever the provider reported', () => {
    expect(callCostMicro(priced, { inputTokens: 1000, outputTokens: 100, costUsd: 5 })).toBe(3000);
  });

  it('takes the reported cost when there is no model price (a call naming no model, a model priced 0)', () => {
    expect(callCostMicro(null, { inputTokens: 0, outputTokens: 0, costUsd: 0.0125 })).toBe(12_500);
    expect(callCostMicro(free, { inputTokens: 10, outputTokens: 10, costUsd: 0.5 })).toBe(500_000);
  });

  it('is 0 without a price or a usable reported cost', () => {
    expect(callCostMicro(null, { inputTokens: 10, outputTokens: 10 })).toBe(0);
    for (const costUsd of [-1, Number.NaN, Number.POSITIVE_INFINITY, 0])
      expect(callCostMicro(null, { inputTokens: 0, outputTokens: 0, costUsd })).toBe(0);
  });
});
