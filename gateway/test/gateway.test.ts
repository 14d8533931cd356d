import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { makeKey } from '@portcullis/shared/keys';
import { type FakeUpstream, startFakeUpstream } from '@portcullis/testing/fake-upstream';
import { readMessageStream } from '@portcullis/testing/gateway-calls';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotStore } from '../src/snapshot/store.js';
import {
  limitsOf,
  loopbackUpstream,
  type ServedGateway,
  SnapshotBuilder,
  serveGateway,
  sleep,
  UPSTREAM_SECRET,
} from './helpers.js';

// The whole gateway on a real port, built from a snapshot made here (real argon2 hashes, a credential
// sealed under the snapshot key), forwarding to the fake upstream over real HTTP.

let upstream: FakeUpstream;
let slow: FakeUpstream;
let hang: Server;
let served: ServedGateway;
let trustedServed: ServedGateway;
const keys: Record<string, string> = {};
let mainKeyId = '';

async function closedPort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

beforeAll(async () => {
  upstream = await startFakeUpstream({ words: 8 });
  slow = await startFakeUpstream({ words: 8, latencyMs: 1600 });
  hang = createServer(() => {
    // Accepts connections and never answers.
  });
  hang.listen(0, '127.0.0.1');
  await new Promise((r) => hang.once('listening', r));
  const hangPort = (hang.address() as { port: number }).port;
  const deadPort = await closedPort();

  const b = new SnapshotBuilder();
  const openaiCred = b.credential('openai', { baseUrl: `${upstream.url}/v1` });
  const anthropicCred = b.credential('anthropic', { baseUrl: upstream.url });
  const azureCred = b.credential('azure_openai', { endpoint: upstream.url, apiVersion: '2024-10-21' });
  const slowCred = b.credential('openai_compatible', { baseUrl: `${slow.url}/v1` });
  const deadCred = b.credential('openai_compatible', { baseUrl: `http://127.0.0.1:${deadPort}/v1` });
  const hangCred = b.credential('openai_compatible', { baseUrl: `http://127.0.0.1:${hangPort}/v1` });
  b.model('gpt-4o-mini', openaiCred);
  b.model('text-embedding-3-small', openaiCred);
  b.model('claude-sonnet', anthropicCred);
  b.model('azure-gpt', azureCred);
  b.model('slow-gpt', slowCred);
  b.model('dead-gpt', deadCred);
  b.model('hang-gpt', hangCred);
  // Not allowlisted on this gateway (only 127.0.0.1 is): refused before any connection.
  b.model('metadata-gpt', b.credential('openai_compatible', { baseUrl: 'http://169.254.169.254/v1' }));
  b.model(
    'localname-gpt',
    b.credential('openai_compatible', { baseUrl: `${upstream.url.replace('127.0.0.1', 'localhost')}/v1` }),
  );
  b.model('disabled-gpt', openaiCred, { enabled: false });

  const past = new Date(Date.now() - 60_000).toISOString();
  const made = await Promise.all([
    b.key().then((k) => ['main', k] as const),
    b.key({ status: 'revoked', secretHash: null }).then((k) => ['revoked', k] as const),
    b.key({ status: 'inactive' }).then((k) => ['inactive', k] as const),
    b.key({ expiresAt: past }).then((k) => ['expired', k] as const),
    b.key({ ownerStatus: 'suspended' }).then((k) => ['suspended', k] as const),
    b.key({ ipAllowlist: ['10.0.0.0/8'] }).then((k) => ['tenNet', k] as const),
    b.key({ ipAllowlist: ['127.0.0.1', '::1'] }).then((k) => ['localOnly', k] as const),
    b.key({ allowedModels: ['gpt-4o-mini'] }).then((k) => ['onlyMini', k] as const),
    b.key({ allowedProviders: ['anthropic'] }).then((k) => ['onlyAnthropic', k] as const),
    b.key({ limits: limitsOf({ requestsPerMinute: 3 }) }).then((k) => ['rpm3', k] as const),
    b.key({ limits: limitsOf({ inputTokensPerMinute: 1 }) }).then((k) => ['tpm1', k] as const),
    b.key({ limits: limitsOf({ concurrentRequests: 1 }) }).then((k) => ['conc1', k] as const),
    b.key({ allowCallsWithoutModel: true }).then((k) => ['withoutModel', k] as const),
  ]);
  for (const [name, k] of made) keys[name] = k.key;
  mainKeyId = made[0][1].record.keyId;

  const serve = (trustedProxies: string[]) =>
    serveGateway({ store: b.store(), trustedProxies, upstream: loopbackUpstream({ headersTimeoutMs: 500 }) });
  served = await serve([]);
  trustedServed = await serve(['127.0.0.1/32', '10.200.0.0/16']);
}, 30_000);

afterAll(async () => {
  await served.close();
  await trustedServed.close();
  await upstream.close();
  await slow.close();
  hang.close();
});

const k = (name: string) => keys[name] as string;

async function post(path: string, body: unknown, headers: Record<string, string> = {}, base = served.url) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return {
    status: res.status,
    headers: res.headers,
    json: json as { error?: { code: string; type: string } },
  };
}

const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] });

/** Raw HTTP, for what fetch would normalize away (paths with dot segments, duplicated headers). */
function raw(opts: {
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  base?: string;
}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(opts.base ?? served.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: opts.method ?? 'POST',
        path: opts.path,
        headers: opts.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('hang')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('official SDKs through the gateway', () => {
  const openai = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${served.url}/v1`, maxRetries: 0 });

  it('completes an OpenAI chat call with the upstream secret and model, never the client key', async () => {
    const res = await openai(k('main')).chat.completions.create(chat('gpt-4o-mini') as never);
    expect(res.choices[0]?.message.content).toBe('word0 word1 word2 word3 word4 word5 word6 word7');
    const seen = upstream.requests.at(-1);
    expect(seen?.path).toBe('/v1/chat/completions');
    expect(seen?.headers.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);
    expect((seen?.body as { model?: string } | undefined)?.model).toBe('gpt-4o-mini-upstream');
    expect(JSON.stringify(seen?.headers)).not.toContain('ptcl_');
  });

  it('streams an OpenAI chat call with usage', async () => {
    const stream = await openai(k('main')).chat.completions.create({
      ...chat('gpt-4o-mini'),
      stream: true,
      stream_options: { include_usage: true },
    } as never);
    let text = '';
    let usage: { completion_tokens: number } | null | undefined;
    for await (const chunk of stream as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('word0 word1 word2 word3 word4 word5 word6 word7');
    expect(usage?.completion_tokens).toBe(8);
  });

  it('answers embeddings and lists only the models a key may use', async () => {
    const emb = await openai(k('main')).embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
    });
    expect(emb.data).toHaveLength(2);
    const all = await openai(k('main')).models.list();
    expect(all.data.map((m) => m.id)).toEqual([
      'azure-gpt',
      'claude-sonnet',
      'dead-gpt',
      'gpt-4o-mini',
      'hang-gpt',
      'localname-gpt',
      'metadata-gpt',
      'slow-gpt',
      'text-embedding-3-small',
    ]);
    expect((await openai(k('onlyMini')).models.list()).data.map((m) => m.id)).toEqual(['gpt-4o-mini']);
    expect((await openai(k('onlyAnthropic')).models.list()).data.map((m) => m.id)).toEqual(['claude-sonnet']);
  });

  it('completes an Anthropic call with x-api-key (older SDKs) and with Bearer (authToken)', async () => {
    for (const client of [
      new Anthropic({ apiKey: k('main'), baseURL: served.url, maxRetries: 0 }),
      new Anthropic({ apiKey: null, authToken: k('main'), baseURL: served.url, maxRetries: 0 }),
    ]) {
      const res = await client.messages.create({
        model: 'claude-sonnet',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(res.content[0]).toMatchObject({ type: 'text' });
      expect(res.usage.output_tokens).toBe(8);
      const seen = upstream.requests.at(-1);
      expect(seen?.path).toBe('/v1/messages');
      expect(seen?.headers['x-api-key']).toBe(UPSTREAM_SECRET);
      expect(seen?.headers['anthropic-version']).toBe('2023-06-01');
      expect(seen?.headers.authorization).toBeUndefined();
    }
  });

  it('streams an Anthropic message', async () => {
    const client = new Anthropic({ apiKey: k('main'), baseURL: served.url, maxRetries: 0 });
    const stream = client.messages.stream({
      model: 'claude-sonnet',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const { text, final } = await readMessageStream(stream);
    expect(text).toBe('word0 word1 word2 word3 word4 word5 word6 word7');
    expect(final.usage.output_tokens).toBe(8);
  });

  it('sends Azure OpenAI calls to the deployment URL with an api-key header', async () => {
    const res = await openai(k('main')).chat.completions.create(chat('azure-gpt') as never);
    expect(res.choices).toHaveLength(1);
    const seen = upstream.requests.at(-1);
    expect(seen?.path).toBe('/openai/deployments/azure-gpt-upstream/chat/completions');
    expect(seen?.headers['api-key']).toBe(UPSTREAM_SECRET);
    expect(seen?.headers.authorization).toBeUndefined();
  });

  it('passes provider-native calls through /gateway/:provider/* with the same enforcement', async () => {
    // A call naming no model needs the key's allowCallsWithoutModel (test/passthrough.test.ts has the rest).
    const refused = await fetch(`${served.url}/gateway/openai/models`, {
      headers: { authorization: `Bearer ${k('main')}` },
    });
    expect(refused.status).toBe(403);
    const models = await fetch(`${served.url}/gateway/openai/models`, {
      headers: { authorization: `Bearer ${k('withoutModel')}` },
    });
    expect(models.status).toBe(200);
    expect(((await models.json()) as { data: { id: string }[] }).data[0]?.id).toBe('fake-model');
    const msg = await post(
      '/gateway/anthropic/v1/messages',
      { model: 'claude-sonnet', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] },
      { 'x-api-key': k('main') },
    );
    expect(msg.status).toBe(200);
    expect((upstream.requests.at(-1)?.body as { model?: string } | undefined)?.model).toBe(
      'claude-sonnet-upstream',
    );
    const denied = await post('/gateway/openai/chat/completions', chat('gpt-4o-mini'), {
      authorization: `Bearer ${k('onlyAnthropic')}`,
    });
    expect(denied.status).toBe(403);
    expect(denied.json.error?.code).toBe('provider_not_allowed');
  });
});

describe('streaming and aborts', () => {
  it('passes SSE through chunk by chunk: the first chunk arrives before the upstream finishes', async () => {
    const res = await fetch(`${served.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${k('main')}` },
      body: JSON.stringify({ ...chat('slow-gpt'), stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('chat.completion.chunk');
    // The upstream is still writing its answer (it pauses between words): nothing was buffered.
    const upstreamCall = slow.requests.at(-1);
    expect(upstreamCall?.path).toBe('/v1/chat/completions');
    expect(upstreamCall?.finished).toBe(false);
    let chunks = 1;
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
      chunks++;
    }
    expect(upstreamCall?.finished).toBe(true);
    expect(chunks).toBeGreaterThanOrEqual(5);
  });

  it('closes the upstream connection when the client aborts', async () => {
    const controller = new AbortController();
    const res = await fetch(`${served.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${k('main')}` },
      body: JSON.stringify({ ...chat('slow-gpt'), stream: true }),
      signal: controller.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const seen = slow.requests.at(-1);
    expect(seen?.aborted).toBe(false);
    controller.abort();
    for (let i = 0; i < 40 && !seen?.aborted; i++) await sleep(50);
    expect(seen?.aborted).toBe(true);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After and rate-limit headers once requests/min is used up', async () => {
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post('/v1/chat/completions', chat('gpt-4o-mini'), {
        authorization: `Bearer ${k('rpm3')}`,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit-requests')).toBe('3');
      remaining.push(res.headers.get('x-ratelimit-remaining-requests'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const res = await post('/v1/chat/completions', chat('gpt-4o-mini'), {
      authorization: `Bearer ${k('rpm3')}`,
    });
    expect(res.status).toBe(429);
    expect(res.json.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'rate_limit_error' });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('counts tokens from responses against tokens/min', async () => {
    const first = await post('/v1/chat/completions', chat('gpt-4o-mini'), {
      authorization: `Bearer ${k('tpm1')}`,
    });
    expect(first.status).toBe(200);
    const second = await post('/v1/chat/completions', chat('gpt-4o-mini'), {
      authorization: `Bearer ${k('tpm1')}`,
    });
    expect(second.status).toBe(429);
    expect(second.headers.get('x-ratelimit-limit-input-tokens')).toBe('1');
  });

  it('limits concurrent requests and frees the slot when a stream ends', async () => {
    const res = await fetch(`${served.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${k('conc1')}` },
      body: JSON.stringify({ ...chat('slow-gpt'), stream: true }),
    });
    const busy = await post('/v1/chat/completions', chat('gpt-4o-mini'), {
      authorization: `Bearer ${k('conc1')}`,
    });
    expect(busy.status).toBe(429);
    await res.text();
    const free = await post('/v1/chat/completions', chat('gpt-4o-mini'), {
      authorization: `Bearer ${k('conc1')}`,
    });
    expect(free.status).toBe(200);
  });
});

describe('every gateway error code reachable here', () => {
  const auth = (name: string) => ({ authorization: `Bearer ${k(name)}` });
  const cases: [
    string,
    () => Promise<{ status: number; json: { error?: { code: string } } }>,
    number,
    string,
  ][] = [
    ['missing key', () => post('/v1/chat/completions', chat('gpt-4o-mini')), 401, 'invalid_api_key'],
    ['revoked', () => post('/v1/chat/completions', chat('gpt-4o-mini'), auth('revoked')), 401, 'key_revoked'],
    [
      'inactive',
      () => post('/v1/chat/completions', chat('gpt-4o-mini'), auth('inactive')),
      401,
      'key_inactive',
    ],
    ['expired', () => post('/v1/chat/completions', chat('gpt-4o-mini'), auth('expired')), 401, 'key_expired'],
    [
      'owner suspended',
      () => post('/v1/chat/completions', chat('gpt-4o-mini'), auth('suspended')),
      403,
      'user_suspended',
    ],
    ['ip', () => post('/v1/chat/completions', chat('gpt-4o-mini'), auth('tenNet')), 403, 'ip_not_allowed'],
    [
      'model not allowed',
      () => post('/v1/chat/completions', chat('slow-gpt'), auth('onlyMini')),
      403,
      'model_not_allowed',
    ],
    [
      'provider not allowed',
      () => post('/v1/chat/completions', chat('gpt-4o-mini'), auth('onlyAnthropic')),
      403,
      'provider_not_allowed',
    ],
    [
      'insufficient scope',
      () => post('/gateway/openai/models', {}, auth('onlyMini')),
      403,
      'insufficient_scope',
    ],
    ['unknown model', () => post('/v1/chat/completions', chat('nope'), auth('main')), 404, 'model_not_found'],
    [
      'disabled model',
      () => post('/v1/chat/completions', chat('disabled-gpt'), auth('main')),
      404,
      'model_not_found',
    ],
    ['unknown route', () => post('/v2/chat', {}, auth('main')), 404, 'not_found'],
    ['bad body', () => post('/v1/chat/completions', '{', auth('main')), 400, 'invalid_request'],
    [
      'upstream down',
      () => post('/v1/chat/completions', chat('dead-gpt'), auth('main')),
      502,
      'upstream_error',
    ],
    [
      'upstream slow',
      () => post('/v1/chat/completions', chat('hang-gpt'), auth('main')),
      504,
      'upstream_timeout',
    ],
  ];
  it.each(cases)('%s', async (_name, call, status, code) => {
    const res = await call();
    expect(res.status).toBe(status);
    expect(Object.keys(res.json)).toEqual(['error']);
    expect(Object.keys(res.json.error ?? {}).sort()).toEqual(['code', 'message', 'type']);
    expect(res.json.error?.code).toBe(code);
  });

  it('refuses provider URLs outside UPSTREAM_ALLOWLIST before connecting (SSRF guard)', async () => {
    const before = upstream.requests.length;
    for (const model of ['metadata-gpt', 'localname-gpt']) {
      const res = await post('/v1/chat/completions', chat(model), auth('main'));
      expect(res.status).toBe(502);
      expect(res.json.error?.code).toBe('upstream_error');
      expect((res.json.error as unknown as { message: string }).message).toBe(
        "The provider's address is not allowed by this gateway",
      );
    }
    // The same fake upstream through its allowlisted address still answers.
    expect((await post('/v1/chat/completions', chat('gpt-4o-mini'), auth('main'))).status).toBe(200);
    expect(upstream.requests.length).toBe(before + 1);
  });

  it('expired keys say "API key has expired"', async () => {
    const res = await post('/v1/chat/completions', chat('gpt-4o-mini'), auth('expired'));
    expect((res.json.error as unknown as { message: string }).message).toBe('API key has expired');
  });

  it('passes upstream HTTP errors through with their status and body', async () => {
    const res = await post('/v1/chat/completions', chat('gpt-4o-mini'), {
      ...auth('main'),
      'x-fake-status': '503',
    });
    expect(res.status).toBe(503);
    expect(JSON.stringify(res.json)).toContain('fake upstream failure 503');
  });

  it('rate_limit_exceeded for a flood of bad secrets from one address, without argon2 for each', async () => {
    const b = new SnapshotBuilder();
    const { record } = await b.key();
    const store = new SnapshotStore();
    store.apply(b.build());
    let verifies = 0;
    const s = await serveGateway({
      store,
      auth: {
        failuresPerIpPerMinute: 5,
        verifySecret: async () => {
          verifies++;
          return false;
        },
      },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        const wrong = makeKey(record.keyId).key;
        const res = await post(
          '/v1/chat/completions',
          chat('x'),
          { authorization: `Bearer ${wrong}` },
          s.url,
        );
        statuses.push(res.status);
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(5)).toEqual([429, 429, 429, 429, 429]);
      expect(verifies).toBe(5);
    } finally {
      await s.close();
    }
  });

  it('gateway_not_ready without a snapshot', async () => {
    const s = await serveGateway({ store: new SnapshotStore() });
    try {
      const res = await post('/v1/chat/completions', chat('gpt-4o-mini'), auth('main'), s.url);
      expect(res.status).toBe(503);
      expect(res.json.error?.code).toBe('gateway_not_ready');
      expect((await fetch(`${s.url}/readyz`)).status).toBe(503);
      expect(await (await fetch(`${served.url}/readyz`)).json()).toEqual({
        status: 'ready',
        snapshotVersion: 1,
      });
    } finally {
      await s.close();
    }
  });
});

describe('connection reuse after a refusal', () => {
  const body = JSON.stringify(chat('nope'));
  const headers = (extra: Record<string, string>) => ({
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...extra,
  });

  it('keeps the connection when the refusal came after the body was read', async () => {
    const res = await raw({
      path: '/v1/chat/completions',
      headers: headers({ authorization: `Bearer ${k('main')}` }),
      body,
    });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body).error.code).toBe('model_not_found');
    expect(res.headers.connection).toBe('keep-alive');
  });

  it('closes the connection when it refused before reading the body', async () => {
    const res = await raw({ path: '/v1/chat/completions', headers: headers({}), body });
    expect(res.status).toBe(401);
    expect(res.headers.connection).toBe('close');
  });
});

describe('X-Forwarded-For', () => {
  const send = (key: string, xff: string | undefined, base: string) =>
    post(
      '/v1/chat/completions',
      chat('gpt-4o-mini'),
      {
        authorization: `Bearer ${key}`,
        ...(xff === undefined ? {} : { 'x-forwarded-for': xff }),
      },
      base,
    );

  it('is ignored from an untrusted peer and believed from a trusted one (right-most untrusted hop)', async () => {
    expect((await send(k('tenNet'), '10.1.2.3', served.url)).status).toBe(403);
    expect((await send(k('localOnly'), '10.1.2.3', served.url)).status).toBe(200);
    expect((await send(k('tenNet'), '10.1.2.3', trustedServed.url)).status).toBe(200);
    // A client-supplied left-most hop does not win over the hop the trusted proxy appended.
    expect((await send(k('tenNet'), '10.9.9.9, 203.0.113.7', trustedServed.url)).status).toBe(403);
    // Trusted proxy hops are skipped.
    expect((await send(k('tenNet'), '10.1.2.3, 10.200.0.1', trustedServed.url)).status).toBe(200);
  });

  it('refuses odd address forms instead of guessing', async () => {
    for (const xff of ['0x0a.0.0.1', '010.0.0.1', '10.1', '167772161', 'not-an-ip', '10.0.0.1/8', '']) {
      const res = await send(k('tenNet'), xff, trustedServed.url);
      expect.soft(res.status, xff).toBe(xff === '' ? 403 : 403);
      expect(res.json.error?.code).toBe('ip_not_allowed');
    }
    expect((await send(k('tenNet'), '[::ffff:10.0.0.1]:443', trustedServed.url)).status).toBe(200);
  });
});

describe('hostile requests get their documented 4xx, never a 5xx or a hang', () => {
  const good = () => k('main');
  const wrongChecksum = () => {
    const key = good();
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    return key.slice(0, -1) + last;
  };
  const nested = (depth: number) => `{"model":"gpt-4o-mini","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  const json = { 'content-type': 'application/json' };
  const body = JSON.stringify(chat('gpt-4o-mini'));
  type Case = [string, () => Promise<{ status: number; body: string }>, number, string];
  const cases: Case[] = [
    [
      'no credentials at all',
      () => raw({ path: '/v1/chat/completions', headers: json, body }),
      401,
      'invalid_api_key',
    ],
    [
      'Basic instead of Bearer',
      () =>
        raw({ path: '/v1/chat/completions', headers: { ...json, authorization: `Basic ${good()}` }, body }),
      401,
      'invalid_api_key',
    ],
    [
      'oversized Authorization',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { ...json, authorization: `Bearer ${'A'.repeat(12_000)}` },
          body,
        }),
      401,
      'invalid_api_key',
    ],
    [
      'duplicated Authorization',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { ...json, authorization: [`Bearer ${good()}`, `Bearer ${k('inactive')}`] },
          body,
        }),
      401,
      'invalid_api_key',
    ],
    [
      'duplicated x-api-key',
      () => raw({ path: '/v1/chat/completions', headers: { ...json, 'x-api-key': [good(), good()] }, body }),
      401,
      'invalid_api_key',
    ],
    [
      'Bearer and x-api-key disagree',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { ...json, authorization: `Bearer ${good()}`, 'x-api-key': k('localOnly') },
          body,
        }),
      401,
      'invalid_api_key',
    ],
    [
      'bad checksum',
      () => raw({ path: '/v1/chat/completions', headers: { ...json, 'x-api-key': wrongChecksum() }, body }),
      401,
      'invalid_api_key',
    ],
    [
      'unknown key id',
      () => raw({ path: '/v1/chat/completions', headers: { ...json, 'x-api-key': makeKey().key }, body }),
      401,
      'invalid_api_key',
    ],
    [
      'right key id, wrong secret',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { ...json, 'x-api-key': makeKey(mainKeyId).key },
          body,
        }),
      401,
      'invalid_api_key',
    ],
    [
      'spoofed X-Forwarded-For from an untrusted peer',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { ...json, 'x-api-key': k('tenNet'), 'x-forwarded-for': '10.0.0.1' },
          body,
        }),
      403,
      'ip_not_allowed',
    ],
    [
      'malformed JSON',
      () =>
        raw({ path: '/v1/chat/completions', headers: { ...json, 'x-api-key': good() }, body: '{"model":' }),
      400,
      'invalid_request',
    ],
    [
      'JSON array body',
      () => raw({ path: '/v1/chat/completions', headers: { ...json, 'x-api-key': good() }, body: '[1,2]' }),
      400,
      'invalid_request',
    ],
    [
      'JSON null body',
      () => raw({ path: '/v1/chat/completions', headers: { ...json, 'x-api-key': good() }, body: 'null' }),
      400,
      'invalid_request',
    ],
    [
      'deeply nested JSON',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { ...json, 'x-api-key': good() },
          body: nested(100_000),
        }),
      400,
      'invalid_request',
    ],
    [
      'huge body with Content-Length',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { ...json, 'x-api-key': good() },
          body: `{"model":"gpt-4o-mini","pad":"${'x'.repeat(5 * 1024 * 1024)}"}`,
        }),
      400,
      'invalid_request',
    ],
    [
      'huge chunked body without Content-Length',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { ...json, 'x-api-key': good(), 'transfer-encoding': 'chunked' },
          body: `{"model":"gpt-4o-mini","pad":"${'x'.repeat(5 * 1024 * 1024)}"}`,
        }),
      400,
      'invalid_request',
    ],
    [
      'text/plain body',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { 'content-type': 'text/plain', 'x-api-key': good() },
          body,
        }),
      400,
      'invalid_request',
    ],
    [
      'form-encoded body',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': good() },
          body: 'model=gpt-4o-mini',
        }),
      400,
      'invalid_request',
    ],
    [
      'invalid UTF-8',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { ...json, 'x-api-key': good() },
          body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
        }),
      400,
      'invalid_request',
    ],
    [
      'model is a number',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { ...json, 'x-api-key': good() },
          body: '{"model":42}',
        }),
      400,
      'invalid_request',
    ],
    [
      'model not allowed for the key',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { ...json, 'x-api-key': k('onlyMini') },
          body: JSON.stringify(chat('claude-sonnet')),
        }),
      403,
      'model_not_allowed',
    ],
    ['dot-dot path', () => raw({ path: '/v1/../admin', headers: { 'x-api-key': good() } }), 404, 'not_found'],
    [
      'encoded dot-dot path',
      () => raw({ path: '/v1/%2e%2e/%2E%2E/etc/passwd', headers: { 'x-api-key': good() } }),
      404,
      'not_found',
    ],
    [
      'encoded slash in a pass-through path',
      () =>
        raw({
          path: '/gateway/openai/chat%2fcompletions',
          headers: { ...json, 'x-api-key': good() },
          body,
        }),
      400,
      'invalid_request',
    ],
    [
      'encoded backslash traversal in a pass-through path',
      () => raw({ method: 'GET', path: '/gateway/openai/%5c..%5cadmin', headers: { 'x-api-key': good() } }),
      400,
      'invalid_request',
    ],
    [
      'unknown provider',
      () => raw({ method: 'GET', path: '/gateway/evil/models', headers: { 'x-api-key': good() } }),
      404,
      'not_found',
    ],
    [
      'GET on a POST route',
      () => raw({ method: 'GET', path: '/v1/chat/completions', headers: { 'x-api-key': good() } }),
      404,
      'not_found',
    ],
    [
      'Anthropic model on the OpenAI route with a field Messages cannot map',
      () =>
        raw({
          path: '/v1/chat/completions',
          headers: { ...json, 'x-api-key': good() },
          body: JSON.stringify({ ...chat('claude-sonnet'), n: 2 }),
        }),
      400,
      'invalid_request',
    ],
    [
      'embeddings of an Anthropic model',
      () =>
        raw({
          path: '/v1/embeddings',
          headers: { ...json, 'x-api-key': good() },
          body: JSON.stringify({ model: 'claude-sonnet', input: 'x' }),
        }),
      400,
      'invalid_request',
    ],
  ];

  it('has at least 20 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)('%s', async (_name, call, status, code) => {
    const res = await call();
    expect(res.status).toBe(status);
    const parsed = JSON.parse(res.body) as { error: { code: string; message: string; type: string } };
    expect(parsed.error.code).toBe(code);
    expect(res.body).not.toContain('ptcl_');
    expect(res.body).not.toContain(UPSTREAM_SECRET);
  });

  it('keeps a sane x-request-id and replaces a hostile one', async () => {
    const res = await fetch(`${served.url}/healthz`, { headers: { 'x-request-id': `a${'<'.repeat(300)}` } });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const ok = await fetch(`${served.url}/healthz`, { headers: { 'x-request-id': 'req-123' } });
    expect(ok.headers.get('x-request-id')).toBe('req-123');
  });
});

describe('/metrics', () => {
  it('reports requests by route/status/code, latency, snapshot version and auth cache hits', async () => {
    await post('/v1/chat/completions', chat('gpt-4o-mini'), { authorization: `Bearer ${k('main')}` });
    const text = await (await fetch(`${served.url}/metrics`)).text();
    expect(text).toMatch(
      /portcullis_gateway_requests_total\{route="\/v1\/chat\/completions",status="200",code=""\} \d+/,
    );
    expect(text).toMatch(
      /portcullis_gateway_requests_total\{route="\/v1\/chat\/completions",status="401",code="invalid_api_key"\}/,
    );
    expect(text).toContain('portcullis_gateway_request_duration_seconds_bucket');
    expect(text).toMatch(/portcullis_gateway_snapshot_version 1/);
    expect(text).toMatch(/portcullis_gateway_snapshot_age_seconds \d/);
    expect(text).toMatch(/portcullis_gateway_auth_cache_total\{result="hit"\} [1-9]/);
    expect(text).toMatch(/portcullis_gateway_auth_cache_total\{result="miss"\} [1-9]/);
  });
});
