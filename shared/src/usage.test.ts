import { describe, expect, it } from 'vitest';
import {
  costMicroUsd,
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

describe('costMicroUsd', () => {
  it('multiplies tokens by the per-million prices, in micro-dollars', () => {
    // gpt-4o-mini prices: $0.15 in, $0.60 out per million tokens.
    const prices = { inputPricePerMTok: 0.15, outputPricePerMTok: 0.6 };
    expect(costMicroUsd(prices, 1_000_000, 0)).toBe(150_000);
    expect(costMicroUsd(prices, 0, 1_000_000)).toBe(600_000);
    expect(costMicroUsd(prices, 1000, 500)).toBe(450);
    expect(microToUsd(costMicroUsd(prices, 1000, 500))).toBeCloseTo(0.00045, 12);
  });

  it('rounds up fractions of a micro-dollar and is zero for free models or no tokens', () => {
    expect(costMicroUsd({ inputPricePerMTok: 0.15, outputPricePerMTok: 0.6 }, 1, 1)).toBe(1);
    expect(costMicroUsd({ inputPricePerMTok: 0, outputPricePerMTok: 0 }, 10_000, 10_000)).toBe(0);
    expect(costMicroUsd({ inputPricePerMTok: 3, outputPricePerMTok: 15 }, 0, 0)).toBe(0);
    // Floating point noise never adds a micro-dollar: 0.1 × 3 = 0.30000000000000004.
    expect(costMicroUsd({ inputPricePerMTok: 0.1, outputPricePerMTok: 0 }, 3, 0)).toBe(1);
    expect(costMicroUsd({ inputPricePerMTok: 1, outputPricePerMTok: 0 }, 3, 0)).toBe(3);
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
