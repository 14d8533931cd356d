import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import type { KeyRequestView } from '@portcullis/shared/usage';
import { Fleet } from '@portcullis/testing/fleet';
import { eventually } from '@portcullis/testing/wait';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Either wire format to any model, end to end: a real control plane and gateway process, models and keys
// made through the REST API, the official SDKs on both routes, and the request log as users read it.
const fleet = new Fleet();
const WORDS = 6; // the fleet's fake upstream answers 6 words
const TEXT = 'word0 word1 word2 word3 word4 word5';
let gw = '';
const keys: Record<string, { id: string; secret: string }> = {};
const key = (name: string) => {
  const k = keys[name];
  if (!k) throw new Error(`no key ${name}`);
  return k;
};

beforeAll(async () => {
  await fleet.start(1);
  gw = fleet.gateways[0]?.url ?? '';
  const org = `/orgs/${fleet.orgId}`;
  for (const [slug, provider, baseUrl] of [
    ['claude', 'anthropic', fleet.upstream.url],
    ['gpt', 'openai', `${fleet.upstream.url}/v1`],
  ] as const) {
    const cred = await fleet.api<{ id: string }>('POST', `${org}/provider-credentials`, {
      name: `fake-${provider}`,
      provider,
      secret: `sk-fake-${provider}-secret-0001`,
      config: { baseUrl },
    });
    await fleet.api('POST', `${org}/models`, {
      slug,
      credentialId: cred.id,
      upstreamModel: `${slug}-upstream`,
      inputPricePerMTok: 3,
      outputPricePerMTok: 15,
    });
  }
  for (const [name, body] of Object.entries({
    main: {},
    onlyOpenai: { allowedProviders: ['openai'] },
    onlyClaude: { allowedModels: ['claude'] },
  })) {
    keys[name] = await fleet.addKey({ name, ...body });
  }
  // Models and keys reach the gateway by snapshot delta.
  await eventually(async () => {
    const r = await fetch(`${gw}/v1/models`, { headers: { authorization: `Bearer ${key('main').secret}` } });
    return r.status === 200 && ((await r.json()) as { data: unknown[] }).data.length === 2;
  }, 20_000);
}, 120_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

const tag = () => {
  const id = `e2e-${randomUUID()}`;
  return { id, headers: { 'x-request-id': id } };
};

async function logRows(keyId: string, ids: string[]): Promise<Map<string, KeyRequestView>> {
  let rows: KeyRequestView[] = [];
  await eventually(async () => {
    rows = (
      await fleet.api<{ data: KeyRequestView[] }>(
        'GET',
        `/orgs/${fleet.orgId}/keys/${keyId}/requests?limit=200`,
      )
    ).data;
    const seen = new Set(rows.map((r) => r.requestId));
    return ids.every((id) => seen.has(id));
  }, 30_000);
  return new Map(rows.map((r) => [r.requestId, r]));
}

describe('one gateway, both wire formats, every model', () => {
  it('the OpenAI SDK reaches the Anthropic model and the Anthropic SDK the OpenAI one, plain, streamed and with tools, each call in the request log', async () => {
    const openai = new OpenAI({ apiKey: key('main').secret, baseURL: `${gw}/v1`, maxRetries: 0 });
    const anthropic = new Anthropic({ apiKey: key('main').secret, baseURL: gw, maxRetries: 0 });
    const logged: { id: string; model: string; provider: string; route: string; input: number }[] = [];
    const user = [{ role: 'user' as const, content: 'hi' }];

    const plainChat = tag();
    const chat = await openai.chat.completions.create(
      { model: 'claude', messages: user },
      { headers: plainChat.headers },
    );
    expect(chat.choices[0]?.message.content).toBe(TEXT);
    logged.push({
      ...plainChat,
      model: 'claude',
      provider: 'anthropic',
      route: '/v1/chat/completions',
      input: chat.usage?.prompt_tokens ?? 0,
    });

    const streamedChat = tag();
    let text = '';
    let input = 0;
    for await (const chunk of await openai.chat.completions.create(
      { model: 'claude', messages: user, stream: true, stream_options: { include_usage: true } },
      { headers: streamedChat.headers },
    )) {
      text += chunk.choices[0]?.delta.content ?? '';
      input = chunk.usage?.prompt_tokens ?? input;
    }
    expect(text).toBe(TEXT);
    logged.push({
      ...streamedChat,
      model: 'claude',
      provider: 'anthropic',
      route: '/v1/chat/completions',
      input,
    });

    const plainMessage = tag();
    const message = await anthropic.messages.create(
      { model: 'gpt', max_tokens: 100, messages: user },
      { headers: plainMessage.headers },
    );
    expect(message.content).toEqual([{ type: 'text', text: TEXT }]);
    logged.push({
      ...plainMessage,
      model: 'gpt',
      provider: 'openai',
      route: '/v1/messages',
      input: message.usage.input_tokens,
    });

    const streamedMessage = tag();
    const final = await anthropic.messages
      .stream({ model: 'gpt', max_tokens: 100, messages: user }, { headers: streamedMessage.headers })
      .finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: TEXT }]);
    logged.push({
      ...streamedMessage,
      model: 'gpt',
      provider: 'openai',
      route: '/v1/messages',
      input: final.usage.input_tokens,
    });

    // Tool calls: the fake upstream calls the first tool offered when asked to.
    const tools = { 'x-fake-tool-call': '1' };
    const call = (
      await openai.chat.completions
        .stream(
          {
            model: 'claude',
            messages: user,
            tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
          },
          { headers: tools },
        )
        .finalChatCompletion()
    ).choices[0]?.message.tool_calls?.[0];
    expect(call).toMatchObject({
      type: 'function',
      function: { name: 'lookup', arguments: JSON.stringify({ query: TEXT }) },
    });
    const use = (
      await anthropic.messages
        .stream(
          {
            model: 'gpt',
            max_tokens: 100,
            messages: user,
            tools: [{ name: 'lookup', input_schema: { type: 'object' } }],
          },
          { headers: tools },
        )
        .finalMessage()
    ).content[0];
    expect(use).toMatchObject({ type: 'tool_use', name: 'lookup', input: { query: TEXT } });

    const rows = await logRows(
      key('main').id,
      logged.map((l) => l.id),
    );
    for (const l of logged)
      expect(rows.get(l.id), l.id).toMatchObject({
        model: l.model,
        provider: l.provider,
        route: l.route,
        status: 200,
        estimated: false,
        inputTokens: l.input,
        outputTokens: WORDS,
      });
  }, 120_000);

  it('a key limited to a provider or model reaches no other model through the other wire format', async () => {
    const refusals = [
      { key: 'onlyOpenai', route: 'chat/completions', model: 'claude', code: 'provider_not_allowed' },
      { key: 'onlyOpenai', route: 'messages', model: 'claude', code: 'provider_not_allowed' },
      { key: 'onlyClaude', route: 'messages', model: 'gpt', code: 'model_not_allowed' },
      { key: 'onlyClaude', route: 'chat/completions', model: 'gpt', code: 'model_not_allowed' },
    ];
    const before = fleet.upstream.requests.length;
    for (const r of refusals) {
      const res = await fetch(`${gw}/v1/${r.route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key(r.key).secret },
        body: JSON.stringify({ model: r.model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status, `${r.key} → ${r.model} on /v1/${r.route}`).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(r.code);
    }
    expect(fleet.upstream.requests.length).toBe(before);
    // Each reaches what it may, in either format.
    const ok = async (k: string, route: string, model: string) =>
      (
        await fetch(`${gw}/v1/${route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key(k).secret}` },
          body: JSON.stringify({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
        })
      ).status;
    expect(await ok('onlyOpenai', 'messages', 'gpt')).toBe(200);
    expect(await ok('onlyClaude', 'chat/completions', 'claude')).toBe(200);
  }, 60_000);
});
