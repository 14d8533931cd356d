import { costMicroUsd } from '@portcullis/shared/usage';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_OUTPUT_TOKENS, maxCostMicro } from './budget.js';

const PRICES = { inputPricePerMTok: 3, outputPricePerMTok: 15 };
const io = (inputTokens: number, outputTokens: number) => ({ inputTokens, outputTokens });
const body = (json: Record<string, unknown>) => ({ json, bytes: JSON.stringify(json).length });

describe('maxCostMicro', () => {
  it('reserves the input estimate (bytes / 4) plus the stated maximum output', () => {
    const b = body({ model: 'm', max_tokens: 100 });
    expect(maxCostMicro(PRICES, b, 400, 'chat')).toBe(costMicroUsd(PRICES, io(100, 100)));
    expect(maxCostMicro(PRICES, body({ max_completion_tokens: 7 }), 8, 'chat')).toBe(
      costMicroUsd(PRICES, io(2, 7)),
    );
    expect(maxCostMicro(PRICES, body({ max_output_tokens: 9 }), 1, null)).toBe(
      costMicroUsd(PRICES, io(1, 9)),
    );
  });

  it('uses the default cap when no maximum is stated (or it is not a positive integer), times n choices', () => {
    for (const json of [{}, { max_tokens: 0 }, { max_tokens: 'lots' }, { max_tokens: 1.5 }])
      expect(maxCostMicro(PRICES, body(json), 0, 'messages')).toBe(
        costMicroUsd(PRICES, io(0, DEFAULT_MAX_OUTPUT_TOKENS)),
      );
    expect(maxCostMicro(PRICES, body({ max_tokens: 10, n: 3 }), 0, 'chat')).toBe(
      costMicroUsd(PRICES, io(0, 30)),
    );
  });

  it('embeddings produce no output; a call with no known model costs nothing', () => {
    expect(maxCostMicro(PRICES, body({ max_tokens: 10 }), 40, 'embeddings')).toBe(
      costMicroUsd(PRICES, io(10, 0)),
    );
    expect(maxCostMicro(null, body({ max_tokens: 10 }), 40, 'chat')).toBe(0);
  });

  it('prices the input estimate at the highest input price: an Anthropic cache write costs 1.25×', () => {
    const b = body({ max_tokens: 10 });
    const write = { inputPricePerMTok: 3.75, outputPricePerMTok: 15 };
    expect(maxCostMicro(PRICES, b, 400, 'messages', 'anthropic')).toBe(costMicroUsd(write, io(100, 10)));
    expect(maxCostMicro(PRICES, b, 400, 'chat', 'openai')).toBe(costMicroUsd(PRICES, io(100, 10)));
    expect(maxCostMicro({ ...PRICES, cacheWritePricePerMTok: 10 }, b, 400, 'messages', 'anthropic')).toBe(
      costMicroUsd({ inputPricePerMTok: 10, outputPricePerMTok: 15 }, io(100, 10)),
    );
  });
});
