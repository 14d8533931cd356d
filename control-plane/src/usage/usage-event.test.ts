import { randomUUID } from 'node:crypto';
import type { UsageEvent } from '@portcullis/shared/usage';
import { describe, expect, it } from 'vitest';
import { parseUsageEntry } from './usage-event';

const event = (over: Partial<UsageEvent> = {}): UsageEvent => ({
  id: randomUUID(),
  time: '2026-11-23T10:00:00.000Z',
  orgId: randomUUID(),
  keyId: randomUUID(),
  ownerId: randomUUID(),
  gatewayId: 'gw-1',
  requestId: 'req-1',
  method: 'POST',
  route: '/v1/chat/completions',
  model: 'gpt-4o-mini',
  provider: 'openai',
  inputTokens: 3,
  outputTokens: 4,
  cacheCreationInputTokens: 0,
  cacheReadInputTokens: 0,
  costUsd: 0.00001,
  estimated: false,
  aborted: false,
  status: 200,
  errorCode: null,
  latencyMs: 5,
  sourceIp: '10.0.0.1',
  userAgent: 'secret-agent/1.0',
  metadata: {},
  ...over,
});

const entry = (value: unknown) => ['e', typeof value === 'string' ? value : JSON.stringify(value)];

describe('parseUsageEntry', () => {
  it('accepts a gateway event', () => {
    const e = event();
    expect(parseUsageEntry(entry(e))).toEqual({ ok: true, event: e });
  });

  it('reads an older gateway’s event (no cache counts) as 0 cache tokens', () => {
    const { cacheCreationInputTokens: _w, cacheReadInputTokens: _r, ...old } = event();
    expect(parseUsageEntry(entry(old))).toMatchObject({
      ok: true,
      event: { cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
    });
  });

  it('refuses what is not an event, naming fields but never values', () => {
    const cases: [unknown, RegExp][] = [
      [null, /deleted/],
      [['x', '1'], /no field e/],
      [entry('{nope'), /not JSON/],
      [entry({ ...event(), inputTokens: -1, userAgent: 'secret-agent/2.0' }), /inputTokens/],
      [entry({ ...event(), keyId: 'k1' }), /keyId/],
      [entry({ ...event(), userAgent: 'secret-agent\u0000' }), /userAgent holds a NUL/],
      [entry(event({ inputTokens: 1e13 })), /tokens out of range/],
      [
        entry(event({ inputTokens: 3, cacheCreationInputTokens: 2, cacheReadInputTokens: 2 })),
        /cache tokens/,
      ],
      [entry(event({ costUsd: 1e10 })), /costUsd out of range/],
      [entry(event({ time: '1970-01-01T00:00:00.000Z' })), /time out of range/],
      [entry({ ...event(), metadata: { big: 'x'.repeat(70_000) } }), /too large/],
    ];
    for (const [fields, reason] of cases) {
      const parsed = parseUsageEntry(fields as string[] | null);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.reason).toMatch(reason);
        expect(parsed.reason).not.toContain('secret-agent');
      }
    }
  });
});
