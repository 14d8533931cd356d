import { randomUUID } from 'node:crypto';
import type { UsageEvent } from '@portcullis/shared/usage';
import { describe, expect, it } from 'vitest';
import { parseUsageEntry } from './usage-event';

const NOW = Date.parse('2026-11-23T10:05:00.000Z');
const WINDOW = { maxAgeMs: 90 * 86_400_000, maxFutureMs: 300_000 };
const parse = (fields: readonly string[] | null) => parseUsageEntry(fields, NOW, WINDOW);

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
    expect(parse(entry(e))).toEqual({ ok: true, event: e });
  });

  it('reads an older gateway’s event (no cache counts) as 0 cache tokens', () => {
    const { cacheCreationInputTokens: _w, cacheReadInputTokens: _r, ...old } = event();
    expect(parse(entry(old))).toMatchObject({
      ok: true,
      event: { cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
    });
  });

  it('accepts the edges of every range', () => {
    const edges: Partial<UsageEvent>[] = [
      { inputTokens: 0, outputTokens: 1_000_000_000 },
      { costUsd: 0 },
      { costUsd: 10_000 },
      { latencyMs: 7 * 86_400_000 },
      { time: new Date(NOW - 90 * 86_400_000).toISOString() },
      { time: new Date(NOW + 300_000).toISOString() },
      { model: null, provider: null, sourceIp: null, userAgent: null, errorCode: null },
      { sourceIp: '2001:db8::1' },
      { requestId: randomUUID(), errorCode: 'upstream_error', status: 599 },
    ];
    for (const over of edges) expect(parse(entry(event(over))).ok, JSON.stringify(over)).toBe(true);
  });

  it('refuses what is not an event with its class, naming fields but never values', () => {
    const secret = 'secret-agent';
    const e = (over: Record<string, unknown>) => entry({ ...event({ userAgent: `${secret}/2.0` }), ...over });
    const cases: [readonly string[] | null, string, RegExp][] = [
      [null, 'malformed', /deleted/],
      [['x', '1'], 'malformed', /no field e/],
      [entry('{nope'), 'malformed', /not JSON/],
      [
        entry(JSON.stringify(event()).replace('"costUsd":0.00001', '"costUsd":1e999')),
        'invalid',
        /^invalid costUsd$/,
      ],
      [e({ metadata: { big: 'x'.repeat(70_000) } }), 'malformed', /too large/],
      [entry({ hello: 'world' }), 'invalid', /invalid id, time, orgId, keyId, ownerId and \d+ more/],
      [entry([1, 2]), 'invalid', /invalid \(root\)/],
      [e({ inputTokens: -1 }), 'invalid', /^invalid inputTokens$/],
      [e({ inputTokens: 1.5 }), 'invalid', /^invalid inputTokens$/],
      [e({ outputTokens: '12' }), 'invalid', /^invalid outputTokens$/],
      [e({ outputTokens: 1_000_000_001 }), 'invalid', /^invalid outputTokens$/],
      [e({ costUsd: 'NaN' }), 'invalid', /^invalid costUsd$/],
      [e({ costUsd: -0.01 }), 'invalid', /^invalid costUsd$/],
      [e({ costUsd: 10_000.01 }), 'invalid', /^invalid costUsd$/],
      [e({ latencyMs: null }), 'invalid', /^invalid latencyMs$/],
      [e({ status: 99 }), 'invalid', /^invalid status$/],
      [e({ keyId: 'k1' }), 'invalid', /^invalid keyId$/],
      [e({ orgId: undefined }), 'invalid', /^invalid orgId$/],
      [e({ method: 'post /x' }), 'invalid', /^invalid method$/],
      [e({ route: 'v1/chat' }), 'invalid', /^invalid route$/],
      [e({ requestId: `${secret} id` }), 'invalid', /^invalid requestId$/],
      [e({ model: `${secret} model` }), 'invalid', /^invalid model$/],
      [e({ provider: 'evil' }), 'invalid', /^invalid provider$/],
      [e({ sourceIp: `${secret}.example` }), 'invalid', /^invalid sourceIp$/],
      [e({ userAgent: secret.repeat(100) }), 'invalid', /^invalid userAgent$/],
      [e({ estimated: 'yes' }), 'invalid', /^invalid estimated$/],
      [
        e({ inputTokens: 3, cacheCreationInputTokens: 2, cacheReadInputTokens: 2 }),
        'invalid',
        /cache tokens/,
      ],
      [e({ cacheReadInputTokens: -1 }), 'invalid', /^invalid cacheReadInputTokens$/],
      [e({ userAgent: `${secret}\u0000` }), 'invalid', /userAgent holds a NUL/],
      [e({ time: '1970-01-01T00:00:00.000Z' }), 'out_of_window', /too old/],
      [e({ time: new Date(NOW - 91 * 86_400_000).toISOString() }), 'out_of_window', /too old/],
      [e({ time: new Date(NOW + 301_000).toISOString() }), 'out_of_window', /in the future/],
      [e({ time: 'tomorrow' }), 'invalid', /^invalid time$/],
    ];
    for (const [fields, cls, reason] of cases) {
      const parsed = parse(fields);
      expect(parsed.ok, String(reason)).toBe(false);
      if (!parsed.ok) {
        expect(parsed.class, String(reason)).toBe(cls);
        expect(parsed.reason).toMatch(reason);
        expect(parsed.reason).not.toContain(secret);
      }
    }
  });

  it("never echoes a garbage object's own key names", () => {
    const parsed = parse(entry({ ...event(), inputTokens: { 'secret-agent key': 1 } }));
    expect(parsed).toMatchObject({ ok: false, class: 'invalid', reason: 'invalid inputTokens' });
    const weird = parse(entry({ ...event(), metadata: 'x', 'secret-agent': 1 }));
    expect(weird).toMatchObject({ ok: false, reason: 'invalid metadata' });
  });
});
