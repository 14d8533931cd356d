import { describe, expect, it } from 'vitest';
import {
  CreateCredentialSchema,
  CreateModelSchema,
  GEMINI_OPENAI_BASE_URL,
  secretPreview,
  UpdateModelSchema,
} from './providers';
import { issuesToFields } from './validation';

const fields = (r: { success: boolean; error?: unknown }) =>
  r.success ? [] : issuesToFields(r.error as never).map((f) => f.field);

describe('secretPreview', () => {
  it('shows at most 7 characters, and never more than a quarter of the secret', () => {
    expect(secretPreview('sk-proj-abcdefghijklmnopqrstuvwxyz0123')).toBe('sk-…0123');
    expect(secretPreview('abcdefghijklmn')).toBe('…mn');
    expect(secretPreview('short')).toBe('…');
    for (let n = 1; n < 80; n++) {
      const s = 'x'.repeat(n);
      const shown = secretPreview(s).replace('…', '').length;
      expect(shown).toBeLessThanOrEqual(Math.min(7, Math.floor(n / 4)));
    }
  });
});

describe('CreateCredentialSchema', () => {
  it('requires what each provider needs, naming config fields', () => {
    expect(
      fields(CreateCredentialSchema.safeParse({ name: 'a', provider: 'azure_openai', secret: 's' })),
    ).toEqual(expect.arrayContaining(['config.endpoint', 'config.apiVersion']));
    expect(
      fields(CreateCredentialSchema.safeParse({ name: 'a', provider: 'openai_compatible', secret: 's' })),
    ).toEqual(['config.baseUrl']);
    expect(fields(CreateCredentialSchema.safeParse({ name: 'a', provider: 'nope', secret: 's' }))).toEqual([
      'provider',
    ]);
    expect(
      fields(
        CreateCredentialSchema.safeParse({ name: 'a', provider: 'openai', secret: 's', config: { foo: 1 } }),
      ),
    ).toEqual(['config.foo']);
  });

  it('defaults gemini to Google’s OpenAI-compatible endpoint', () => {
    const r = CreateCredentialSchema.parse({ name: 'g', provider: 'gemini', secret: 's' });
    expect(r.config).toEqual({ baseUrl: GEMINI_OPENAI_BASE_URL });
  });
});

describe('model schemas', () => {
  it('checks slug, credential id and prices', () => {
    const ok = {
      slug: 'gpt-4o-mini',
      credentialId: '2b0e6f0e-7a53-4d1c-9a7e-0d0f3b7b8a11',
      upstreamModel: 'gpt-4o-mini',
      inputPricePerMTok: 0.15,
      outputPricePerMTok: 0.6,
    };
    expect(CreateModelSchema.parse(ok).enabled).toBe(true);
    expect(
      fields(
        CreateModelSchema.safeParse({ ...ok, slug: '-bad slug', credentialId: 'x', inputPricePerMTok: -1 }),
      ),
    ).toEqual(['slug', 'credentialId', 'inputPricePerMTok']);
    expect(UpdateModelSchema.safeParse({}).success).toBe(false);
  });

  it('takes optional cache prices: absent means null (the provider default), negative or text is named', () => {
    const ok = {
      slug: 'claude',
      credentialId: '2b0e6f0e-7a53-4d1c-9a7e-0d0f3b7b8a11',
      upstreamModel: 'claude-sonnet-4-5',
      inputPricePerMTok: 3,
      outputPricePerMTok: 15,
    };
    expect(CreateModelSchema.parse(ok)).toMatchObject({
      cacheWritePricePerMTok: null,
      cacheReadPricePerMTok: null,
    });
    expect(
      CreateModelSchema.parse({ ...ok, cacheWritePricePerMTok: 3.75, cacheReadPricePerMTok: 0.3 }),
    ).toMatchObject({ cacheWritePricePerMTok: 3.75, cacheReadPricePerMTok: 0.3 });
    const bad = CreateModelSchema.safeParse({
      ...ok,
      cacheWritePricePerMTok: -1,
      cacheReadPricePerMTok: '0.3',
    });
    expect(fields(bad)).toEqual(['cacheWritePricePerMTok', 'cacheReadPricePerMTok']);
    expect(bad.error?.issues.map((i) => i.message)).toEqual(['must be at least 0', 'must be a number']);
    // PATCH: null puts the default back; absent leaves it alone.
    expect(UpdateModelSchema.parse({ cacheReadPricePerMTok: null })).toEqual({ cacheReadPricePerMTok: null });
    expect(UpdateModelSchema.parse({ enabled: false })).toEqual({ enabled: false });
  });
});
