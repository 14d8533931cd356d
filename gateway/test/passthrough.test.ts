import { request as httpRequest } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import type { UsageEvent } from '@portcullis/shared/usage';
import { type FakeUpstream, startFakeUpstream } from '@portcullis/testing/fake-upstream';
import OpenAI, { AzureOpenAI, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loopbackUpstream,
  type ServedGateway,
  SnapshotBuilder,
  serveGateway,
  UPSTREAM_SECRET,
} from './helpers.js';

// `/gateway/<provider>/<path>` through the whole gateway on a real port, to the fake upstream (which,
// like the providers, answers only their exact paths with their own auth): provider paths relative to
// the provider's API root, models read from the body and the path, and calls naming none only for keys
// allowed to make them.

let upstream: FakeUpstream;
let served: ServedGateway;
const events: UsageEvent[] = [];
const keys: Record<string, string> = {};

beforeAll(async () => {
  upstream = await startFakeUpstream({ words: 4, apiKey: UPSTREAM_SECRET });
  const b = new SnapshotBuilder();
  const openaiCred = b.credential('openai', { baseUrl: `${upstream.url}/v1` });
  // Anthropic's base URL with /v1, as some users write it.
  const anthropicCred = b.credential('anthropic', { baseUrl: `${upstream.url}/v1` });
  const azureCred = b.credential('azure_openai', { endpoint: upstream.url, apiVersion: '2024-10-21' });
  const geminiCred = b.credential('gemini', { baseUrl: `${upstream.url}/v1beta/openai` });
  b.model('mini', openaiCred, { upstreamModel: 'gpt-4o-mini' });
  b.model('big', openaiCred, { upstreamModel: 'gpt-4o' });
  b.model('claude', anthropicCred, { upstreamModel: 'claude-sonnet-4' });
  b.model('az-a', azureCred, { upstreamModel: 'dep-a' });
  b.model('az-b', azureCred, { upstreamModel: 'dep-b' });
  b.model('gem-a', geminiCred, { upstreamModel: 'gemini-2.0-flash' });
  b.model('gem-b', geminiCred, { upstreamModel: 'gemini-2.5-pro' });
  const made = await Promise.all([
    b.key().then((k) => ['all', k] as const),
    b.key({ allowedModels: ['mini', 'claude', 'az-a', 'gem-a'] }).then((k) => ['onlyA', k] as const),
    b.key({ allowCallsWithoutModel: true }).then((k) => ['withoutModel', k] as const),
    b
      .key({ allowedModels: ['mini'], allowCallsWithoutModel: true })
      .then((k) => ['onlyAWithoutModel', k] as const),
  ]);
  for (const [name, k] of made) keys[name] = k.key;
  served = await serveGateway({
    store: b.store(),
    upstream: loopbackUpstream(),
    usage: { emit: (e) => events.push(e) },
  });
}, 30_000);

afterAll(async () => {
  await served.close();
  await upstream.close();
});

const k = (name: string) => keys[name] as string;
const chat = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'hi' }] });
const openai = (key: string, path = 'openai/v1') =>
  new OpenAI({ apiKey: key, baseURL: `${served.url}/gateway/${path}`, maxRetries: 0 });
const lastUpstream = () => upstream.requests.at(-1);

async function call(
  method: string,
  path: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; code: string | undefined; json: Record<string, unknown> }> {
  const res = await fetch(`${served.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown> & { error?: { code?: string } };
  return { status: res.status, code: json.error?.code, json };
}

/** A request with its path exactly as written (fetch would normalize dot segments). */
function raw(
  method: string,
  path: string,
  key: string,
): Promise<{ status: number; code: string | undefined }> {
  const url = new URL(served.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers: { authorization: `Bearer ${key}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          } catch {
            code = undefined;
          }
          resolve({ status: res.statusCode ?? 0, code });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('paths relative to the provider API root', () => {
  it('the OpenAI SDK pointed at <gateway>/gateway/openai/v1 reaches <base>/chat/completions once, not /v1/v1', async () => {
    const res = await openai(k('all')).chat.completions.create(chat('mini'));
    expect(res.choices[0]?.message.content).toBe('word0 word1 word2 word3');
    const seen = lastUpstream();
    expect(seen?.path).toBe('/v1/chat/completions');
    expect(seen?.headers.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);
    expect((seen?.body as { model?: string } | undefined)?.model).toBe('gpt-4o-mini');
  });

  it('the path without the version keeps working', async () => {
    const res = await openai(k('all'), 'openai').chat.completions.create(chat('mini'));
    expect(res.choices).toHaveLength(1);
    expect(lastUpstream()?.path).toBe('/v1/chat/completions');
  });

  it('the Anthropic SDK pointed at <gateway>/gateway/anthropic reaches /v1/messages with a base URL ending in /v1', async () => {
    const client = new Anthropic({
      apiKey: k('all'),
      baseURL: `${served.url}/gateway/anthropic`,
      maxRetries: 0,
    });
    const msg = await client.messages.create({
      model: 'claude',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(msg.usage.output_tokens).toBe(4);
    const seen = lastUpstream();
    expect(seen?.path).toBe('/v1/messages');
    expect(seen?.headers['x-api-key']).toBe(UPSTREAM_SECRET);
    expect((seen?.body as { model?: string } | undefined)?.model).toBe('claude-sonnet-4');
  });

  it('the /v1/messages route also reaches /v1/messages with a base URL ending in /v1', async () => {
    const client = new Anthropic({ apiKey: k('all'), baseURL: served.url, maxRetries: 0 });
    await client.messages.create({
      model: 'claude',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(lastUpstream()?.path).toBe('/v1/messages');
  });
});

describe('models named in the body', () => {
  it.each([
    ['by slug', 'big'],
    ['by upstream name', 'gpt-4o'],
  ])('a key allowed only model A may not call model B %s: 403 model_not_allowed', async (_how, model) => {
    const before = upstream.requests.length;
    await expect(openai(k('onlyA')).chat.completions.create(chat(model))).rejects.toMatchObject({
      status: 403,
      error: { code: 'model_not_allowed' },
    });
    expect(upstream.requests.length).toBe(before);
  });

  it('model A by its upstream name (as the provider docs write it) is allowed and sent under that name', async () => {
    const res = await openai(k('onlyA')).chat.completions.create(chat('gpt-4o-mini'));
    expect(res.choices).toHaveLength(1);
    expect((lastUpstream()?.body as { model?: string } | undefined)?.model).toBe('gpt-4o-mini');
  });

  it('a name that is neither a slug nor an upstream name of the provider is 404 model_not_found', async () => {
    await expect(openai(k('all')).chat.completions.create(chat('gpt-5-nope'))).rejects.toMatchObject({
      status: 404,
      error: { code: 'model_not_found' },
    });
    // Another provider's model through the OpenAI pass-through.
    expect((await call('POST', '/gateway/openai/v1/chat/completions', k('all'), chat('claude'))).code).toBe(
      'invalid_request',
    );
    expect(
      (await call('POST', '/gateway/openai/v1/chat/completions', k('all'), chat('claude-sonnet-4'))).code,
    ).toBe('model_not_found');
  });
});

describe('models named in the path', () => {
  const azure = (key: string, deployment: string) =>
    new AzureOpenAI({
      endpoint: `${served.url}/gateway/azure_openai`,
      azureADTokenProvider: async () => key,
      apiVersion: '2024-10-21',
      deployment,
      maxRetries: 0,
    });

  it.each([
    ['slug', 'az-a'],
    ['upstream name', 'dep-a'],
  ])('the AzureOpenAI SDK reaches the allowed deployment named by its %s', async (_how, deployment) => {
    const res = await azure(k('onlyA'), deployment).chat.completions.create(chat(deployment));
    expect(res.choices).toHaveLength(1);
    const seen = lastUpstream();
    expect(seen?.path).toBe('/openai/deployments/dep-a/chat/completions');
    expect(seen?.headers['api-key']).toBe(UPSTREAM_SECRET);
    expect(seen?.headers.authorization).toBeUndefined();
  });

  it.each([
    ['slug', 'az-b'],
    ['upstream name', 'dep-b'],
  ])('a deployment the key may not use, by %s, is 403 model_not_allowed', async (_how, deployment) => {
    await expect(
      azure(k('onlyA'), deployment).chat.completions.create(chat(deployment)),
    ).rejects.toMatchObject({
      status: 403,
      error: { code: 'model_not_allowed' },
    });
  });

  it('an allowed model in the body does not let the path reach another deployment', async () => {
    const before = upstream.requests.length;
    for (const path of [
      '/gateway/azure_openai/deployments/az-b/chat/completions',
      '/gateway/azure_openai/openai/deployments/dep-b/chat/completions?api-version=2024-10-21',
    ]) {
      const res = await call('POST', path, k('onlyA'), chat('az-a'));
      expect(res).toMatchObject({ status: 403, code: 'model_not_allowed' });
    }
    // Both allowed but different: which one is meant is unclear, so neither.
    const differ = await call(
      'POST',
      '/gateway/azure_openai/deployments/az-b/chat/completions',
      k('all'),
      chat('az-a'),
    );
    expect(differ).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(upstream.requests.length).toBe(before);
  });

  it.each([
    ['slug', 'gem-a'],
    ['upstream name', 'gemini-2.0-flash'],
  ])('Gemini generateContent for the allowed model by %s, with x-goog-api-key', async (_how, model) => {
    const res = await call('POST', `/gateway/gemini/v1beta/models/${model}:generateContent`, k('onlyA'), {
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      usageMetadata: { candidatesTokenCount: 4 },
      modelVersion: 'gemini-2.0-flash',
    });
    const seen = lastUpstream();
    expect(seen?.path).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(seen?.headers['x-goog-api-key']).toBe(UPSTREAM_SECRET);
    expect(seen?.headers.authorization).toBeUndefined();
    // No `model` added to a body that named none (Gemini refuses unknown fields).
    expect(seen?.body).not.toHaveProperty('model');
  });

  it.each([
    ['models/gem-b:generateContent', 403, 'model_not_allowed'],
    ['models/gemini-2.5-pro:generateContent', 403, 'model_not_allowed'],
    ['models/gemini-9:generateContent', 404, 'model_not_found'],
    ['tunedModels/gem-a:generateContent', 404, 'model_not_found'],
  ])('Gemini %s is refused for a key allowed only gem-a', async (path, status, code) => {
    const res = await call('POST', `/gateway/gemini/v1beta/${path}`, k('onlyA'), { contents: [] });
    expect(res).toMatchObject({ status, code });
  });

  it('Gemini’s OpenAI-compatible endpoint through the pass-through, with Bearer', async () => {
    const res = await openai(k('onlyA'), 'gemini/v1beta/openai').chat.completions.create(chat('gem-a'));
    expect(res.choices).toHaveLength(1);
    const seen = lastUpstream();
    expect(seen?.path).toBe('/v1beta/openai/chat/completions');
    expect(seen?.headers.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);
    expect((seen?.body as { model?: string } | undefined)?.model).toBe('gemini-2.0-flash');
  });

  it('getting a model’s description names no model (needs the permission)', async () => {
    expect(await call('GET', '/gateway/gemini/v1beta/models/gem-b', k('onlyA'))).toMatchObject({
      status: 403,
      code: 'insufficient_scope',
    });
  });
});

describe('calls that name no model', () => {
  it.each([
    ['GET', '/gateway/openai/v1/files', undefined],
    [
      'POST',
      '/gateway/openai/v1/batches',
      { input_file_id: 'file-1', endpoint: '/v1/chat/completions', completion_window: '24h' },
    ],
    ['DELETE', '/gateway/openai/v1/files/file-1', undefined],
    ['DELETE', '/gateway/openai/v1/models/ft:gpt-4o-mini:org::abc', undefined],
    ['GET', '/gateway/openai/v1/models', undefined],
  ])(
    '%s %s without the permission: 403 insufficient_scope, even for an unrestricted key',
    async (method, path, body) => {
      const before = upstream.requests.length;
      const res = await call(method, path, k('all'), body);
      expect(res).toMatchObject({ status: 403, code: 'insufficient_scope' });
      expect((res.json.error as { message: string }).message).toMatch(
        /may only make calls that name a model/,
      );
      expect(upstream.requests.length).toBe(before);
    },
  );

  it('with allowCallsWithoutModel: files and batches through the OpenAI SDK, each metered as a request', async () => {
    for (const name of ['withoutModel', 'onlyAWithoutModel']) {
      const client = openai(k(name));
      const from = events.length;
      const file = await client.files.create({
        file: await toFile(Buffer.from('{"custom_id":"1"}\n'), 'batch.jsonl'),
        purpose: 'batch',
      });
      expect(file.object).toBe('file');
      expect(lastUpstream()?.path).toBe('/v1/files');
      expect(lastUpstream()?.headers.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);
      const batch = await client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
      expect(batch.input_file_id).toBe(file.id);
      expect(lastUpstream()?.path).toBe('/v1/batches');
      const deleted = await client.files.delete(file.id);
      expect(deleted.deleted).toBe(true);
      expect(lastUpstream()).toMatchObject({ method: 'DELETE', path: `/v1/files/${file.id}` });
      await new Promise((r) => setTimeout(r, 50));
      const mine = events.slice(from);
      expect(mine).toHaveLength(3);
      for (const e of mine)
        expect(e).toMatchObject({
          model: null,
          provider: 'openai',
          route: '/gateway/:provider/*',
          status: 200,
          errorCode: null,
          costUsd: 0,
          // A file upload is no prompt: no token estimate from its bytes (it would eat tokens/min limits).
          inputTokens: 0,
          outputTokens: 0,
          estimated: false,
        });
      expect(mine.map((e) => e.method)).toEqual(['POST', 'POST', 'DELETE']);
    }
  });

  it('the permission does not widen the models of a key: a named model is still checked', async () => {
    await expect(openai(k('onlyAWithoutModel')).chat.completions.create(chat('big'))).rejects.toMatchObject({
      status: 403,
      error: { code: 'model_not_allowed' },
    });
  });
});

describe('paths that could smuggle something past the checks', () => {
  it.each([
    ['POST', '/gateway/gemini/v1beta/models/gem-b%3AgenerateContent'],
    ['POST', '/gateway/gemini/v1beta/models/gem-b%3agenerateContent'],
    ['POST', '/gateway/azure_openai/openai/deployments/az-b%2Fchat/completions'],
    ['GET', '/gateway/openai/v1/files/..%2F..%2Fmodels'],
    ['GET', '/gateway/openai/v1/files/%252e%252e/x'],
    ['GET', '/gateway/openai/v1/files/a%23b'],
  ])('%s %s: 400 invalid_request, nothing sent', async (method, path) => {
    const before = upstream.requests.length;
    expect(await raw(method, path, k('withoutModel'))).toEqual({ status: 400, code: 'invalid_request' });
    expect(upstream.requests.length).toBe(before);
  });

  it.each([
    ['/gateway/azure_openai/openai/deployments/az-a/%2e%2e/az-b/chat/completions?api-version=1'],
    ['/gateway/azure_openai/openai/deployments/az-a/../az-b/chat/completions?api-version=1'],
    ['/gateway/gemini/v1beta/models/gem-a:generateContent/%2E%2E/gem-b:generateContent'],
    ['/gateway/openai/%2e%2e/azure_openai/deployments/az-b/chat/completions'],
  ])(
    'dot segments are resolved before the checks, so %s is checked as what it reaches: 403',
    async (path) => {
      const before = upstream.requests.length;
      expect(await raw('POST', path, k('onlyA'))).toEqual({ status: 403, code: 'model_not_allowed' });
      expect(upstream.requests.length).toBe(before);
    },
  );
});
