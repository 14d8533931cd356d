import { describe, expect, it } from 'vitest';
import {
  CACHE_PRICE_MULTIPLES,
  cachePrices,
  costMicroUsd,
  maxInputPricePerMTok,
  microToUsd,
  periodEnd,
  periodId,
  periodStart,
  USAGE_EVENT_LIMITS,
  USAGE_TOKEN_FIELDS,
  UsageEventSchema,
  usdToMicro,
} from './usage';

const at = (iso: string) => Date.parse(iso);
const io = (inputTokens: number, outputTokens: number) => ({ inputTokens, outputTokens });

describe('costMicroUsd', () => {
  it('multiplies tokens by the per-million prices, in micro-dollars', () => {
    // gpt-4o-mini prices: $0.15 in, $0.60 out per million tokens.
    const prices = { inputPricePerMTok: 0.15, outputPricePerMTok: 0.6 };
    expect(costMicroUsd(prices, io(1_000_000, 0))).toBe(150_000);
    expect(costMicroUsd(prices, io(0, 1_000_000))).toBe(600_000);
    expect(costMicroUsd(prices, io(1000, 500))).toBe(450);
    expect(microToUsd(costMicroUsd(prices, io(1000, 500)))).toBeCloseTo(0.00045, 12);
  });

  it('rounds up fractions of a micro-dollar and is zero for free models or no tokens', () => {
    expect(costMicroUsd({ inputPricePerMTok: 0.15, outputPricePerMTok: 0.6 }, io(1, 1))).toBe(1);
    expect(costMicroUsd({ inputPricePerMTok: 0, outputPricePerMTok: 0 }, io(10_000, 10_000))).toBe(0);
    expect(costMicroUsd({ inputPricePerMTok: 3, outputPricePerMTok: 15 }, io(0, 0))).toBe(0);
    // Floating point noise never adds a micro-dollar: 0.1 × 3 = 0.30000000000000004.
    expect(costMicroUsd({ inputPricePerMTok: 0.1, outputPricePerMTok: 0 }, io(3, 0))).toBe(1);
    expect(costMicroUsd({ inputPricePerMTok: 1, outputPricePerMTok: 0 }, io(3, 0))).toBe(3);
  });

  it('bills cache writes and reads at the model’s own cache prices, the rest of the input at the input price', () => {
    const prices = {
      inputPricePerMTok: 3,
      outputPricePerMTok: 15,
      cacheWritePricePerMTok: 6,
      cacheReadPricePerMTok: 0.5,
    };
    // 10,000 input tokens of which 2,000 written to and 5,000 read from the cache; 1,000 output.
    const usage = {
      inputTokens: 10_000,
      outputTokens: 1000,
      cacheCreationInputTokens: 2000,
      cacheReadInputTokens: 5000,
    };
    expect(costMicroUsd(prices, usage, 'anthropic')).toBe(3 * 3000 + 6 * 2000 + 0.5 * 5000 + 15 * 1000);
    // The provider does not matter once the model sets its prices.
    expect(costMicroUsd(prices, usage, 'openai')).toBe(costMicroUsd(prices, usage, 'anthropic'));
  });

  it('defaults missing cache prices to the provider’s multiples: Anthropic 1.25× / 0.1×, OpenAI-format 1×', () => {
    const base = { inputPricePerMTok: 4, outputPricePerMTok: 20 };
    const usage = {
      inputTokens: 10_000,
      outputTokens: 0,
      cacheCreationInputTokens: 4000,
      cacheReadInputTokens: 5000,
    };
    expect(CACHE_PRICE_MULTIPLES.anthropic).toEqual({ write: 1.25, read: 0.1 });
    expect(costMicroUsd(base, usage, 'anthropic')).toBe(4 * 1000 + 5 * 4000 + 0.4 * 5000);
    expect(
      costMicroUsd(
        { ...base, cacheWritePricePerMTok: null, cacheReadPricePerMTok: null },
        usage,
        'anthropic',
      ),
    ).toBe(4 * 1000 + 5 * 4000 + 0.4 * 5000);
    // OpenAI-format: cached prompt tokens cost what the rest of the prompt costs unless the model says less.
    for (const p of ['openai', 'azure_openai', 'gemini', 'openai_compatible'] as const)
      expect(costMicroUsd(base, usage, p)).toBe(4 * 10_000);
    expect(costMicroUsd({ ...base, cacheReadPricePerMTok: 2 }, usage, 'openai')).toBe(4 * 5000 + 2 * 5000);
    // Without a provider (no model known) the cache costs the input price.
    expect(costMicroUsd(base, usage)).toBe(4 * 10_000);
    // Set to 0 is a price, not "unset".
    expect(cachePrices({ ...base, cacheReadPricePerMTok: 0 }, 'anthropic')).toEqual({
      writePricePerMTok: 5,
      readPricePerMTok: 0,
    });
  });

  it('bills cache counts beyond the input count as they are, and never below zero', () => {
    const p = {
      inputPricePerMTok: 1,
      outputPricePerMTok: 1,
      cacheWritePricePerMTok: 2,
      cacheReadPricePerMTok: 1,
    };
    expect(
      costMicroUsd(p, { inputTokens: 10, outputTokens: 0, cacheCreationInputTokens: 20 }, 'anthropic'),
    ).toBe(40);
  });

  it('the highest input price is what a reservation must assume', () => {
    expect(maxInputPricePerMTok({ inputPricePerMTok: 4, outputPricePerMTok: 1 }, 'anthropic')).toBe(5);
    expect(maxInputPricePerMTok({ inputPricePerMTok: 4, outputPricePerMTok: 1 }, 'openai')).toBe(4);
    expect(
      maxInputPricePerMTok(
        { inputPricePerMTok: 4, outputPricePerMTok: 1, cacheWritePricePerMTok: 9 },
        'openai',
      ),
    ).toBe(9);
  });

  it('converts dollars to micro-dollars exactly for cent amounts', () => {
    expect(usdToMicro(50)).toBe(50_000_000);
    expect(usdToMicro(0.01)).toBe(10_000);
    expect(usdToMicro(19.99)).toBe(19_990_000);
  });
});

describe('budget periods (UTC, calendar-aligned)', () => {
  it('daily starts at midnight UTC and ends at the next', () => {
    expect(periodStart('daily', at('2026-11-23T23:59:59.999Z'))).toBe(at('2026-11-23T00:00:00Z'));
    expect(periodEnd('daily', at('2026-11-23T10:00:00Z'))).toBe(at('2026-11-24T00:00:00Z'));
    expect(periodId('daily', at('2026-11-23T10:00:00Z'))).toBe('d20261123');
  });

  it('weekly starts on Monday (ISO week), also across a month and a year boundary', () => {
    // 2026-11-23 is a Monday; 2026-11-29 a Sunday.
    expect(periodStart('weekly', at('2026-11-23T00:00:00Z'))).toBe(at('2026-11-23T00:00:00Z'));
    expect(periodStart('weekly', at('2026-11-29T23:00:00Z'))).toBe(at('2026-11-23T00:00:00Z'));
    expect(periodStart('weekly', at('2026-11-30T00:00:00Z'))).toBe(at('2026-11-30T00:00:00Z'));
    // 2027-01-01 is a Friday: its week began on Monday 2026-12-28.
    expect(periodStart('weekly', at('2027-01-01T12:00:00Z'))).toBe(at('2026-12-28T00:00:00Z'));
    expect(periodEnd('weekly', at('2027-01-01T12:00:00Z'))).toBe(at('2027-01-04T00:00:00Z'));
    expect(periodId('weekly', at('2027-01-01T12:00:00Z'))).toBe('w20261228');
  });

  it('monthly starts on the 1st and handles short months and leap years', () => {
    expect(periodStart('monthly', at('2028-02-29T18:00:00Z'))).toBe(at('2028-02-01T00:00:00Z'));
    expect(periodEnd('monthly', at('2028-02-29T18:00:00Z'))).toBe(at('2028-03-01T00:00:00Z'));
    expect(periodEnd('monthly', at('2026-12-31T23:59:59Z'))).toBe(at('2027-01-01T00:00:00Z'));
    expect(periodId('monthly', at('2026-12-31T23:59:59Z'))).toBe('m20261201');
  });

  it('lifetime never resets', () => {
    expect(periodStart('lifetime', at('2026-11-23T10:00:00Z'))).toBe(0);
    expect(periodEnd('lifetime', at('2026-11-23T10:00:00Z'))).toBe(Number.POSITIVE_INFINITY);
    expect(periodId('lifetime', at('2030-01-01T00:00:00Z'))).toBe('life');
  });

  it('the instant of a boundary belongs to the new period', () => {
    const boundary = at('2026-12-01T00:00:00Z');
    expect(periodStart('monthly', boundary)).toBe(boundary);
    expect(periodStart('monthly', boundary - 1)).toBe(at('2026-11-01T00:00:00Z'));
  });
});

describe('UsageEventSchema', () => {
  const event = {
    id: '5b0d3a52-4d7e-4c1f-9a53-1f6f2f1f0c11',
    time: '2026-11-23T10:00:00.000Z',
    orgId: '0b6d9a52-4d7e-4c1f-9a53-1f6f2f1f0c11',
    keyId: '1b6d9a52-4d7e-4c1f-9a53-1f6f2f1f0c11',
    ownerId: '2b6d9a52-4d7e-4c1f-9a53-1f6f2f1f0c11',
    gatewayId: 'edge-1',
    requestId: 'req-1',
    method: 'POST',
    route: '/v1/chat/completions',
    model: 'gpt-4o-mini',
    provider: 'openai',
    inputTokens: 10,
    outputTokens: 5,
    costUsd: 0.0000045,
    estimated: false,
    aborted: false,
    status: 200,
    errorCode: null,
    latencyMs: 12.5,
    sourceIp: '127.0.0.1',
    userAgent: 'OpenAI/JS 6.0',
    metadata: { team: 'backend' },
  };
  it('accepts a well-formed event and refuses negative tokens, NaN cost or a bad id', () => {
    expect(UsageEventSchema.safeParse(event).success).toBe(true);
    expect(UsageEventSchema.safeParse({ ...event, inputTokens: -1 }).success).toBe(false);
    expect(UsageEventSchema.safeParse({ ...event, costUsd: Number.NaN }).success).toBe(false);
    expect(UsageEventSchema.safeParse({ ...event, id: 'nope' }).success).toBe(false);
    expect(UsageEventSchema.safeParse({ ...event, userAgent: 'x'.repeat(513) }).success).toBe(false);
  });

  it('reads cache counts, 0 when an event has none', () => {
    expect(UsageEventSchema.parse(event)).toMatchObject({
      cacheCreationInputTokens: 0,
      cacheReadInputTokens: 0,
    });
    expect(
      UsageEventSchema.parse({ ...event, cacheCreationInputTokens: 3, cacheReadInputTokens: 4 }),
    ).toMatchObject({ cacheCreationInputTokens: 3, cacheReadInputTokens: 4 });
    expect(UsageEventSchema.safeParse({ ...event, cacheReadInputTokens: -1 }).success).toBe(false);
    expect(UsageEventSchema.safeParse({ ...event, cacheCreationInputTokens: 1.5 }).success).toBe(false);
  });

  it('bounds every number so that one event fits its columns', () => {
    const { maxTokens, maxCostUsd, maxLatencyMs } = USAGE_EVENT_LIMITS;
    const ok = (over: object) => UsageEventSchema.safeParse({ ...event, ...over }).success;
    for (const f of USAGE_TOKEN_FIELDS) {
      expect(ok({ [f]: maxTokens })).toBe(true);
      expect(ok({ [f]: maxTokens + 1 })).toBe(false);
      expect(ok({ [f]: Number.POSITIVE_INFINITY })).toBe(false);
    }
    expect(ok({ costUsd: maxCostUsd })).toBe(true);
    expect(ok({ costUsd: maxCostUsd * 1.000001 })).toBe(false);
    expect(ok({ costUsd: Number.POSITIVE_INFINITY })).toBe(false);
    expect(ok({ latencyMs: maxLatencyMs + 1 })).toBe(false);
    // The largest cost in micro-dollars is an exact integer in a double and in a bigint.
    expect(Number.isSafeInteger(usdToMicro(maxCostUsd) * 500)).toBe(true);
  });

  it('lists every token field of the event in USAGE_TOKEN_FIELDS (the cost check sums them)', () => {
    const tokenFields = Object.keys(UsageEventSchema.shape).filter((k) => /Tokens$/.test(k));
    expect([...USAGE_TOKEN_FIELDS].sort()).toEqual(tokenFields.sort());
  });
});
