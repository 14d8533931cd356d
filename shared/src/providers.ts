import { z } from 'zod';
import { Timestamp } from './api/fields';
import { ModelSlugSchema, noControlChars, PROVIDERS, type Provider, ProviderSchema } from './api-keys';

/**
 * Provider credentials and the model catalog: request schemas (control plane), views (dashboard).
 * URL fields are only checked for shape here; the SSRF guard (`upstream-url.ts`) needs the operator's
 * allowlist, so the control plane applies it after parsing and the gateway again before connecting.
 */

export const GEMINI_OPENAI_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta/openai';

/** A zod error that tells a missing field from one of the wrong type. */
export const required = (what: string) => ({
  error: (i: { input: unknown }) => (i.input === undefined ? 'is required' : `must be ${what}`),
});

const NameSchema = z
  .string(required('a string'))
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine(noControlChars, 'must not contain control characters');

/** An absolute http(s) URL, shape only: the SSRF guard needs the operator's allowlist, so it runs after parsing. */
export const HttpUrlSchema = z
  .string(required('a URL'))
  .trim()
  .min(1, 'must not be empty')
  .max(2048, 'must be at most 2048 characters')
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'https:' || u.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL');

const ShortText = z
  .string(required('a string'))
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .refine(noControlChars, 'must not contain control characters');

export const SecretSchema = z
  .string(required('a string'))
  .trim()
  .min(1, 'must not be empty')
  .max(8192, 'must be at most 8192 characters')
  .refine(noControlChars, 'must not contain control characters');

/** Per-provider config; what is required is what the gateway cannot call the provider without. */
export const CREDENTIAL_CONFIG_SCHEMAS = {
  openai: z.strictObject({ baseUrl: HttpUrlSchema.optional(), projectId: ShortText.optional() }),
  azure_openai: z.strictObject({
    endpoint: HttpUrlSchema,
    apiVersion: z
      .string(required('a string'))
      .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, 'must look like 2024-10-21 or 2024-10-01-preview'),
    /** Optional: without it, each model's upstreamModel is the deployment name. */
    deployment: ShortText.optional(),
  }),
  anthropic: z.strictObject({ baseUrl: HttpUrlSchema.optional() }),
  gemini: z.strictObject({
    baseUrl: HttpUrlSchema.default(GEMINI_OPENAI_BASE_URL),
    projectId: ShortText.optional(),
  }),
  openai_compatible: z.strictObject({ baseUrl: HttpUrlSchema }),
} as const satisfies Record<Provider, z.ZodType>;

export type CredentialConfig = {
  baseUrl?: string;
  endpoint?: string;
  apiVersion?: string;
  deployment?: string;
  projectId?: string;
};

/** The config fields that hold URLs (each goes through the SSRF guard). */
export const CREDENTIAL_URL_FIELDS = ['baseUrl', 'endpoint'] as const;

const createFor = <P extends Provider, C extends z.ZodObject>(provider: P, config: C) =>
  z.strictObject({
    name: NameSchema,
    provider: z.literal(provider),
    secret: SecretSchema,
    // prefault: an absent config is parsed as {}, so required fields are named and defaults apply.
    config: config.prefault({} as z.input<C>),
  });

export const CreateCredentialSchema = z.discriminatedUnion(
  'provider',
  [
    createFor('openai', CREDENTIAL_CONFIG_SCHEMAS.openai),
    createFor('azure_openai', CREDENTIAL_CONFIG_SCHEMAS.azure_openai),
    createFor('anthropic', CREDENTIAL_CONFIG_SCHEMAS.anthropic),
    createFor('gemini', CREDENTIAL_CONFIG_SCHEMAS.gemini),
    createFor('openai_compatible', CREDENTIAL_CONFIG_SCHEMAS.openai_compatible),
  ],
  { error: `provider must be one of ${PROVIDERS.join(', ')}` },
);
export type CreateCredentialInput = z.infer<typeof CreateCredentialSchema>;

/** PATCH: `config`, when given, replaces the whole config and is checked against the credential's provider. */
export const UpdateCredentialSchema = z
  .strictObject({
    name: NameSchema.optional(),
    secret: SecretSchema.optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'the body must change at least one field');
export type UpdateCredentialInput = z.infer<typeof UpdateCredentialSchema>;

/**
 * What may be shown of a secret: `sk-…abcd` (first 3 and last 4 characters) for secrets of 28+
 * characters, only the last 2 for 12–27, nothing for shorter ones: never more than 7 characters
 * and never more than a quarter of the secret.
 */
export function secretPreview(secret: string): string {
  const s = secret.trim();
  if (s.length >= 28) return `${s.slice(0, 3)}…${s.slice(-4)}`;
  if (s.length >= 12) return `…${s.slice(-2)}`;
  return '…';
}

export const ProviderCredentialViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  provider: ProviderSchema,
  secretPreview: z.string(),
  config: z.object({
    baseUrl: z.string().optional(),
    endpoint: z.string().optional(),
    apiVersion: z.string().optional(),
    deployment: z.string().optional(),
    projectId: z.string().optional(),
  }),
  usedBy: z.array(z.object({ type: z.literal('model'), id: z.string(), slug: z.string() })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ProviderCredentialView = z.infer<typeof ProviderCredentialViewSchema>;

const Price = z
  .number(required('a number'))
  .min(0, 'must be at least 0')
  .max(1_000_000, 'must be at most 1000000')
  .refine(Number.isFinite, 'must be a finite number');

const modelFields = {
  slug: ModelSlugSchema,
  credentialId: z.uuid('must be a provider credential id'),
  upstreamModel: z
    .string(required('a string'))
    .trim()
    .min(1, 'must not be empty')
    .max(256, 'must be at most 256 characters')
    .refine(noControlChars, 'must not contain control characters'),
  inputPricePerMTok: Price,
  outputPricePerMTok: Price,
  /** Null: the provider's usual multiple of the input price (`CACHE_PRICE_MULTIPLES` in usage.ts). */
  cacheWritePricePerMTok: Price.nullable(),
  cacheReadPricePerMTok: Price.nullable(),
  enabled: z.boolean('must be true or false'),
};

export const CreateModelSchema = z.strictObject({
  ...modelFields,
  cacheWritePricePerMTok: modelFields.cacheWritePricePerMTok.default(null),
  cacheReadPricePerMTok: modelFields.cacheReadPricePerMTok.default(null),
  enabled: modelFields.enabled.default(true),
});
export type CreateModelInput = z.infer<typeof CreateModelSchema>;

export const UpdateModelSchema = z
  .strictObject({
    slug: modelFields.slug.optional(),
    credentialId: modelFields.credentialId.optional(),
    upstreamModel: modelFields.upstreamModel.optional(),
    inputPricePerMTok: Price.optional(),
    outputPricePerMTok: Price.optional(),
    cacheWritePricePerMTok: modelFields.cacheWritePricePerMTok.optional(),
    cacheReadPricePerMTok: modelFields.cacheReadPricePerMTok.optional(),
    enabled: modelFields.enabled.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'the body must change at least one field');
export type UpdateModelInput = z.infer<typeof UpdateModelSchema>;

export const ModelViewSchema = z.object({
  id: z.string(),
  slug: z.string(),
  credentialId: z.string(),
  credential: z.object({ id: z.string(), name: z.string(), provider: ProviderSchema }),
  upstreamModel: z.string(),
  inputPricePerMTok: z.number(),
  outputPricePerMTok: z.number(),
  /** Null: the provider's usual multiple of the input price. */
  cacheWritePricePerMTok: z.number().nullable(),
  cacheReadPricePerMTok: z.number().nullable(),
  enabled: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ModelView = z.infer<typeof ModelViewSchema>;
