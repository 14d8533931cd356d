import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import type { KeyRequestView } from '@portcullis/shared/usage';
import { Fleet } from '@portcullis/testing/fleet';
import { eventually } from '@portcullis/testing/wait';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What a user sees of metering, end to end: calls through a real gateway process with the official
// SDKs, the control plane's request log (`GET …/keys/:id/requests`) and the key's budget spend, for the
// shapes that were read as nothing or as too little before: Anthropic prompt caching, the Responses
// API behind /gateway/openai, an OpenAI stream whose client did not ask for usage, and an answer
// without usage (estimated, never free).
const fleet = new Fleet();
const WORDS = 6; // the fleet's fake upstream answers 6 words
let keyId = '';
let secret = '';
let gw = '';

interface KeyView {
  requestCount: number;
  budget: { spentUsd: number } | null;
}

beforeAll(async () => {
  await fleet.start(1);
  gw = fleet.gateways[0]?.url ?? '';
  const credential = async (provider: string, baseUrl: string) =>
    (
      await fleet.api<{ id: string }>('POST', `/orgs/${fleet.orgId}/provider-credentials`, {
        name: `fake-${provider}`,
        provider,
        secret: `sk-fake-${provider}-secret-0001`,
        config: { baseUrl },
      })
    ).id;
  const anthropic = await credential('anthropic', fleet.upstream.url);
  const openai = await credential('openai', fleet.upstream.url);
  const compatible = await credential('openai_compatible', `${fleet.upstream.url}/v1`);
  for (const [slug, credentialId, prices] of [
    ['claude', anthropic, { inputPricePerMTok: 3, outputPricePerMTok: 15 }],
    [
      'claude-priced',
      anthropic,
      { inputPricePerMTok: 3, outputPricePerMTok: 15, cacheWritePricePerMTok: 5, cacheReadPricePerMTok: 0.2 },
    ],
    ['gpt-pt', openai, { inputPricePerMTok: 2, outputPricePerMTok: 10 }],
    ['gpt', compatible, { inputPricePerMTok: 2, outputPricePerMTok: 10 }],
  ] as const)
    await fleet.api('POST', `/orgs/${fleet.orgId}/models`, {
      slug,
      credentialId,
      upstreamModel: slug,
      ...prices,
    });
  const made = await fleet.addKey({
    name: 'metered',
    budget: { limitUsd: 100, period: 'monthly', alertThresholds: [] },
  });
  keyId = made.id;
  secret = made.secret;
  // The key and models reach the gateway by snapshot delta.
  await eventually(async () => {
    const r = await fetch(`${gw}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
    return r.status === 200 && ((await r.json()) as { data: unknown[] }).data.length === 4;
  }, 20_000);
}, 120_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

async function requestLog(): Promise<KeyRequestView[]> {
  const page = await fleet.api<{ data: KeyRequestView[] }>(
    'GET',
    `/orgs/${fleet.orgId}/keys/${keyId}/requests?limit=200`,
  );
  return page.data;
}

const tag = () => {
  const id = `e2e-${randomUUID()}`;
  return { id, headers: { 'x-request-id': id } };
};

describe('metering as the request log and the budget show it', () => {
  it('every shape is billed from the provider’s counts at the model’s prices, cache included; an answer without usage is estimated', async () => {
    const anthropic = new Anthropic({ apiKey: secret, baseURL: gw, maxRetries: 0 });
    const passAnthropic = new Anthropic({
      apiKey: secret,
      baseURL: `${gw}/gateway/anthropic`,
      maxRetries: 0,
    });
    const passOpenai = new OpenAI({ apiKey: secret, baseURL: `${gw}/gateway/openai/v1`, maxRetries: 0 });
    const openai = new OpenAI({ apiKey: secret, baseURL: `${gw}/v1`, maxRetries: 0 });
    const cachedSystem = (text: string): Anthropic.TextBlockParam[] => [
      { type: 'text', text, cache_control: { type: 'ephemeral' } },
    ];
    /** request id → the usage the provider reported to the client, and the model's prices. */
    const expected = new Map<
      string,
      { input: number; output: number; write: number; read: number; micro: number }
    >();
    const anthropicCost = (
      u: Anthropic.Usage,
      p: { write: number; read: number },
    ): { input: number; output: number; write: number; read: number; micro: number } => {
      const write = u.cache_creation_input_tokens ?? 0;
      const read = u.cache_read_input_tokens ?? 0;
      return {
        input: u.input_tokens + write + read,
        output: u.output_tokens,
        write,
        read,
        micro: Math.ceil(3 * u.input_tokens + p.write * write + p.read * read + 15 * u.output_tokens - 1e-9),
      };
    };

    // Anthropic /v1/messages: a cache write, then a streamed cache read, at the default multiples.
    const system = cachedSystem('The fleet manual, chapter on metering. '.repeat(150));
    for (const q of ['first?', 'second?']) {
      const t = tag();
      const res =
        q === 'first?'
          ? await anthropic.messages.create(
              { model: 'claude', max_tokens: 50, system, messages: [{ role: 'user', content: q }] },
              { headers: t.headers },
            )
          : await anthropic.messages
              .stream(
                { model: 'claude', max_tokens: 50, system, messages: [{ role: 'user', content: q }] },
                { headers: t.headers },
              )
              .finalMessage();
      expected.set(t.id, anthropicCost(res.usage, { write: 3.75, read: 0.3 }));
    }
    // /gateway/anthropic/v1/messages with the model's own cache prices.
    const priced = cachedSystem('The priced manual. '.repeat(300));
    for (const q of ['one?', 'two?']) {
      const t = tag();
      const res = await passAnthropic.messages.create(
        { model: 'claude-priced', max_tokens: 50, system: priced, messages: [{ role: 'user', content: q }] },
        { headers: t.headers },
      );
      expected.set(t.id, anthropicCost(res.usage, { write: 5, read: 0.2 }));
    }
    // /gateway/openai/v1/responses, streamed: usage from response.completed.
    {
      const t = tag();
      const stream = await passOpenai.responses.create(
        { model: 'gpt-pt', input: 'Explain metering.', stream: true },
        { headers: t.headers },
      );
      let usage: OpenAI.Responses.ResponseUsage | null | undefined;
      for await (const e of stream) if (e.type === 'response.completed') usage = e.response.usage;
      if (!usage) throw new Error('no usage in response.completed');
      expected.set(t.id, {
        input: usage.input_tokens,
        output: usage.output_tokens,
        write: 0,
        read: 0,
        micro: Math.ceil(2 * usage.input_tokens + 10 * usage.output_tokens - 1e-9),
      });
    }
    // /v1/chat/completions streamed without include_usage: the provider's counts, no usage chunk seen.
    {
      const t = tag();
      const stream = await openai.chat.completions.create(
        { model: 'gpt', messages: [{ role: 'user', content: 'Count to six.' }], stream: true },
        { headers: t.headers },
      );
      let chunks = 0;
      for await (const chunk of stream) {
        expect(chunk.choices).toHaveLength(1);
        chunks++;
      }
      expect(chunks).toBeGreaterThan(WORDS);
      const prompt = Math.ceil(JSON.stringify([{ role: 'user', content: 'Count to six.' }]).length / 4);
      expected.set(t.id, {
        input: prompt,
        output: WORDS,
        write: 0,
        read: 0,
        micro: Math.ceil(2 * prompt + 10 * WORDS - 1e-9),
      });
    }
    // A JSON answer without usage.
    const unreported = tag();
    const plain = await passOpenai.chat.completions.create(
      { model: 'gpt-pt', messages: [{ role: 'user', content: 'No usage here.' }] },
      { headers: { ...unreported.headers, 'x-fake-omit-usage': '1' } },
    );
    expect(plain.usage).toBeUndefined();

    let rows: KeyRequestView[] = [];
    await eventually(async () => {
      rows = await requestLog();
      const ids = new Set(rows.map((r) => r.requestId));
      return [...expected.keys(), unreported.id].every((id) => ids.has(id));
    }, 30_000);
    const byId = new Map(rows.map((r) => [r.requestId, r]));
    for (const [id, want] of expected) {
      const row = byId.get(id);
      expect(row, id).toMatchObject({
        estimated: false,
        inputTokens: want.input,
        outputTokens: want.output,
        cacheCreationInputTokens: want.write,
        cacheReadInputTokens: want.read,
      });
      expect(Math.round((row?.costUsd ?? 0) * 1e6), id).toBe(want.micro);
    }
    // The cache was written, then read, by both Anthropic pairs.
    const cacheRows = [...expected.values()].slice(0, 4);
    expect(cacheRows.map((r) => [r.write > 0, r.read > 0])).toEqual([
      [true, false],
      [false, true],
      [true, false],
      [false, true],
    ]);
    const estimated = byId.get(unreported.id);
    expect(estimated).toMatchObject({ estimated: true, status: 200 });
    expect(estimated?.inputTokens).toBeGreaterThan(0);
    expect(estimated?.outputTokens).toBeGreaterThan(0);
    expect(estimated?.costUsd).toBeGreaterThan(0);

    // The budget's spend is the sum of what the log bills.
    const total = rows.reduce((s, r) => s + Math.round(r.costUsd * 1e6), 0);
    await eventually(async () => {
      const key = await fleet.api<KeyView>('GET', `/orgs/${fleet.orgId}/keys/${keyId}`);
      return Math.round((key.budget?.spentUsd ?? 0) * 1e6) === total;
    }, 15_000);
  }, 120_000);
});
