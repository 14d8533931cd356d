import { EmailSchema } from '@portcullis/shared/auth';
import { parseKey32 } from '@portcullis/shared/crypto';
import { parseUpstreamAllowlist } from '@portcullis/shared/upstream-url';
import { z } from 'zod';

const optionalNonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const ConfigSchema = z.object({
  DATABASE_URL: z
    .string({ message: 'is required (e.g. postgres://postgres@127.0.0.1:5432/portcullis)' })
    .min(1, 'is required (e.g. postgres://postgres@127.0.0.1:5432/portcullis)')
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /**
   * 32 bytes (base64 or hex) that seal provider secrets and snapshot keys at rest. Optional so that an
   * installation without provider credentials starts; storing a credential or registering a gateway
   * without it answers 409.
   */
  PORTCULLIS_MASTER_KEY: optionalNonEmpty.transform((v, ctx) => {
    if (v === undefined) return null;
    const key = parseKey32(v);
    if (!key) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be 32 bytes as base64 (44 characters) or hex (64 characters)',
      });
      return z.NEVER;
    }
    return key;
  }),
  BOOTSTRAP_ADMIN_EMAIL: optionalNonEmpty,
  BOOTSTRAP_ADMIN_PASSWORD: optionalNonEmpty,
  BOOTSTRAP_ORG_NAME: optionalNonEmpty,
  UPSTREAM_ALLOWLIST: z
    .string()
    .default('')
    .transform((v, ctx) => {
      try {
        return parseUpstreamAllowlist(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `has an invalid entry: ${(err as Error).message}` });
        return z.NEVER;
      }
    }),
  /** Extension: CIDRs of proxies (e.g. the dashboard) whose X-Forwarded-For is believed. */
  TRUSTED_PROXIES: z.string().default(''),
  /** Extension: where the dashboard is served, for invitation links. */
  PUBLIC_DASHBOARD_URL: z.url().default('http://localhost:3000'),
  /** Extension: session lifetime in hours. */
  SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24 * 7),
  /** Extension: whether the session cookie carries the Secure flag (off for local http). */
  COOKIE_SECURE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});

export type AppConfig = z.infer<typeof ConfigSchema>;
export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {}

/** Parses the environment once. Nothing else in the control plane reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ConfigError(`setting ${first?.path.join('.') ?? '?'} ${first?.message ?? 'is invalid'}`);
  }
  const cfg = parsed.data;
  const bootstrap = [cfg.BOOTSTRAP_ADMIN_EMAIL, cfg.BOOTSTRAP_ADMIN_PASSWORD, cfg.BOOTSTRAP_ORG_NAME];
  if (bootstrap.some((v) => v !== undefined) && bootstrap.some((v) => v === undefined)) {
    throw new ConfigError(
      'settings BOOTSTRAP_ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD and BOOTSTRAP_ORG_NAME must be given together',
    );
  }
  if (cfg.BOOTSTRAP_ADMIN_EMAIL && !EmailSchema.safeParse(cfg.BOOTSTRAP_ADMIN_EMAIL).success) {
    throw new ConfigError('setting BOOTSTRAP_ADMIN_EMAIL must be an email address');
  }
  return cfg;
}

/** The database host and port, for messages that must not leak the password. */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
