import type { Provider } from '@portcullis/shared/api-keys';
import type { SnapshotCredential } from '@portcullis/shared/snapshot';
import { describe, expect, it } from 'vitest';
import { PROVIDER_CONFIGS } from './index.js';

// Pass-through paths are the provider's documented paths relative to its API root; the credential's
// base URL may or may not carry the version (or a vendor prefix). Nothing may be doubled or lost.
const credential = (provider: Provider, config: SnapshotCredential['config']): SnapshotCredential => ({
  id: '00000000-0000-4000-8000-000000000000',
  provider,
  config,
  sealedSecret: 'v1.a.b.c',
});

const passthrough = (provider: Provider, config: SnapshotCredential['config'], path: string, query = '') =>
  PROVIDER_CONFIGS[provider].url(credential(provider, config), { passthrough: path, query }).toString();

describe('pass-through URLs', () => {
  it.each([
    // [base URL, pass-through path, upstream URL]
    ['https://api.openai.com/v1', 'v1/chat/completions', 'https://api.openai.com/v1/chat/completions'],
    ['https://api.openai.com/v1/', 'v1/chat/completions', 'https://api.openai.com/v1/chat/completions'],
    ['https://api.openai.com/v1', 'chat/completions', 'https://api.openai.com/v1/chat/completions'],
    ['https://api.openai.com/v1', 'v1/files/file-abc', 'https://api.openai.com/v1/files/file-abc'],
    ['https://api.openai.com', 'v1/chat/completions', 'https://api.openai.com/v1/chat/completions'],
    [undefined, 'v1/models', 'https://api.openai.com/v1/models'],
    [undefined, 'models', 'https://api.openai.com/v1/models'],
  ])('openai: %s + %s → %s', (baseUrl, path, expected) => {
    expect(passthrough('openai', baseUrl ? { baseUrl } : {}, path)).toBe(expected);
  });

  it.each([
    [
      'https://api.groq.com/openai/v1',
      'openai/v1/chat/completions',
      'https://api.groq.com/openai/v1/chat/completions',
    ],
    [
      'https://api.groq.com/openai/v1',
      'v1/chat/completions',
      'https://api.groq.com/openai/v1/chat/completions',
    ],
    ['https://api.groq.com/openai/v1', 'chat/completions', 'https://api.groq.com/openai/v1/chat/completions'],
    ['http://10.0.0.1:8000/v1', 'v1/embeddings', 'http://10.0.0.1:8000/v1/embeddings'],
    ['http://vllm.local/api', 'v1/chat/completions', 'http://vllm.local/api/v1/chat/completions'],
    [
      'https://openrouter.ai/api/v1',
      'api/v1/chat/completions',
      'https://openrouter.ai/api/v1/chat/completions',
    ],
  ])('openai_compatible: %s + %s → %s', (baseUrl, path, expected) => {
    expect(passthrough('openai_compatible', { baseUrl }, path)).toBe(expected);
  });

  it.each([
    [undefined, 'v1/messages', 'https://api.anthropic.com/v1/messages'],
    ['https://api.anthropic.com', 'v1/messages', 'https://api.anthropic.com/v1/messages'],
    ['https://api.anthropic.com/v1', 'v1/messages', 'https://api.anthropic.com/v1/messages'],
    ['https://api.anthropic.com/v1', 'messages', 'https://api.anthropic.com/v1/messages'],
    [
      'https://api.anthropic.com/v1',
      'v1/messages/count_tokens',
      'https://api.anthropic.com/v1/messages/count_tokens',
    ],
  ])('anthropic: %s + %s → %s', (baseUrl, path, expected) => {
    expect(passthrough('anthropic', baseUrl ? { baseUrl } : {}, path)).toBe(expected);
  });

  it.each([
    [
      undefined,
      'v1beta/models/gemini-2.0-flash:generateContent',
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent',
    ],
    [
      undefined,
      'v1beta/openai/chat/completions',
      'https://generativelanguage.googleapis.com/v1beta/openai/chat/completions',
    ],
    [
      undefined,
      'chat/completions',
      'https://generativelanguage.googleapis.com/v1beta/openai/chat/completions',
    ],
    [
      'https://generativelanguage.googleapis.com/v1beta/openai/',
      'v1/models/gemini-pro:generateContent',
      'https://generativelanguage.googleapis.com/v1/models/gemini-pro:generateContent',
    ],
    [
      'https://generativelanguage.googleapis.com',
      'v1beta/models/gemini-2.0-flash:generateContent',
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent',
    ],
  ])('gemini: %s + %s → %s', (baseUrl, path, expected) => {
    expect(passthrough('gemini', baseUrl ? { baseUrl } : {}, path)).toBe(expected);
  });

  it('gemini never sends a client’s ?key= on', () => {
    expect(passthrough('gemini', {}, 'v1beta/models/m:generateContent', 'key=ptcl_x&alt=sse')).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models/m:generateContent?alt=sse',
    );
  });

  it.each([
    [
      'https://r.openai.azure.com',
      'openai/deployments/d1/chat/completions',
      'https://r.openai.azure.com/openai/deployments/d1/chat/completions',
    ],
    [
      'https://r.openai.azure.com/',
      'deployments/d1/chat/completions',
      'https://r.openai.azure.com/openai/deployments/d1/chat/completions',
    ],
    [
      'https://r.openai.azure.com/openai',
      'openai/deployments/d1/embeddings',
      'https://r.openai.azure.com/openai/deployments/d1/embeddings',
    ],
    [
      'https://r.openai.azure.com/openai/',
      'deployments/d1/embeddings',
      'https://r.openai.azure.com/openai/deployments/d1/embeddings',
    ],
    ['https://r.openai.azure.com', 'openai/v1/responses', 'https://r.openai.azure.com/openai/v1/responses'],
  ])('azure_openai: %s + %s → %s (api-version added)', (endpoint, path, expected) => {
    expect(passthrough('azure_openai', { endpoint, apiVersion: '2024-10-21' }, path)).toBe(
      `${expected}?api-version=2024-10-21`,
    );
    expect(
      passthrough('azure_openai', { endpoint, apiVersion: '2024-10-21' }, path, 'api-version=2025-01-01'),
    ).toBe(`${expected}?api-version=2025-01-01`);
  });
});

describe('operation URLs', () => {
  const op = (
    provider: Provider,
    config: SnapshotCredential['config'],
    o: 'chat' | 'embeddings' | 'messages',
  ) =>
    PROVIDER_CONFIGS[provider].url(credential(provider, config), { op: o, upstreamModel: 'm-1' }).toString();

  it('anthropic reaches /v1/messages with a base URL with or without /v1', () => {
    expect(op('anthropic', { baseUrl: 'https://api.anthropic.com' }, 'messages')).toBe(
      'https://api.anthropic.com/v1/messages',
    );
    expect(op('anthropic', { baseUrl: 'https://api.anthropic.com/v1' }, 'messages')).toBe(
      'https://api.anthropic.com/v1/messages',
    );
  });

  it('azure reaches its deployment with an endpoint with or without /openai', () => {
    for (const endpoint of ['https://r.openai.azure.com', 'https://r.openai.azure.com/openai/'])
      expect(op('azure_openai', { endpoint, apiVersion: '2024-10-21' }, 'chat')).toBe(
        'https://r.openai.azure.com/openai/deployments/m-1/chat/completions?api-version=2024-10-21',
      );
  });

  it('openai and gemini keep their base URL', () => {
    expect(op('openai', {}, 'chat')).toBe('https://api.openai.com/v1/chat/completions');
    expect(op('gemini', {}, 'embeddings')).toBe(
      'https://generativelanguage.googleapis.com/v1beta/openai/embeddings',
    );
  });
});

describe('auth headers', () => {
  const headers = (provider: Provider, pathname?: string) =>
    PROVIDER_CONFIGS[provider].authHeaders('sec', credential(provider, {}), new Headers(), pathname);

  it('gemini: x-goog-api-key on native paths, Bearer on its OpenAI-compatible endpoint', () => {
    expect(headers('gemini', '/v1beta/models/m:generateContent')).toEqual({ 'x-goog-api-key': 'sec' });
    expect(headers('gemini', '/v1beta/openai/chat/completions')).toEqual({ authorization: 'Bearer sec' });
    expect(headers('gemini')).toEqual({ authorization: 'Bearer sec' });
  });

  it('azure: api-key; anthropic: x-api-key; openai: Bearer', () => {
    expect(headers('azure_openai', '/openai/deployments/d/chat/completions')).toEqual({ 'api-key': 'sec' });
    expect(headers('anthropic', '/v1/messages')).toMatchObject({ 'x-api-key': 'sec' });
    expect(headers('openai', '/v1/files')).toEqual({ authorization: 'Bearer sec' });
  });
});

describe('models named by the path', () => {
  const model = (provider: Provider, path: string) => PROVIDER_CONFIGS[provider].pathModel?.(path) ?? null;

  it.each([
    ['openai/deployments/gpt4o/chat/completions', 'gpt4o'],
    ['deployments/gpt4o/embeddings', 'gpt4o'],
    ['openai/deployments/gpt4o', null],
    ['openai/deployments/gpt4o/', 'gpt4o'],
    ['openai/v1/chat/completions', null],
    ['openai/deployments//chat/completions', null],
  ])('azure: %s names %s', (path, name) => {
    expect(model('azure_openai', path)?.name ?? null).toBe(name);
  });

  it.each([
    ['v1beta/models/gemini-2.0-flash:generateContent', 'gemini-2.0-flash'],
    ['v1beta/models/gemini-2.0-flash:streamGenerateContent', 'gemini-2.0-flash'],
    ['v1beta/tunedModels/my-tune:generateContent', 'tunedModels/my-tune'],
    ['v1beta/models/gemini-2.0-flash', null],
    ['v1beta/tunedModels/my-tune', null],
    ['v1beta/models', null],
    ['v1beta/openai/chat/completions', null],
    ['v1beta/files', null],
  ])('gemini: %s names %s', (path, name) => {
    expect(model('gemini', path)?.name ?? null).toBe(name);
  });

  it('openai-style providers name models only in the body', () => {
    for (const p of ['openai', 'openai_compatible', 'anthropic'] as const) {
      expect(model(p, 'v1/models/gpt-4o')).toBeNull();
    }
  });

  it('writes the upstream name (Azure: the credential’s deployment first) in place of the name', () => {
    const az = PROVIDER_CONFIGS.azure_openai.pathModel?.('openai/deployments/slug/chat/completions');
    expect(az?.replace('up-model', credential('azure_openai', {}))).toBe(
      'openai/deployments/up-model/chat/completions',
    );
    expect(az?.replace('up-model', credential('azure_openai', { deployment: 'dep' }))).toBe(
      'openai/deployments/dep/chat/completions',
    );
    const g = PROVIDER_CONFIGS.gemini.pathModel?.('v1beta/models/slug:generateContent');
    expect(g?.replace('gemini-2.0-flash', credential('gemini', {}))).toBe(
      'v1beta/models/gemini-2.0-flash:generateContent',
    );
    expect(g?.replace('tunedModels/t1', credential('gemini', {}))).toBe(
      'v1beta/tunedModels/t1:generateContent',
    );
  });
});
