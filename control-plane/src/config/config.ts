import { EmailSchema } from '@portcullis/shared/auth';
import { parseCidr } from '@portcullis/shared/cidr';
import { parseKey32 } from '@portcullis/shared/crypto';
import { parseUpstreamAllowlist } from '@portcullis/shared/upstream-url';
import { z } from 'zod';

/** Names Express's `trust proxy` understands besides addresses and CIDRs. */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

const optionalNonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** An allow list setting (`UPSTREAM_ALLOWLIST`, …); a bad entry stops start-up with its text. */
const allowlistSetting = (setting: string) =>
  z
    .string()
    .default('')
    .transform((v, ctx) => {
      try {
        return parseUpstreamAllowlist(v, setting);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `has an invalid entry: ${(err as Error).message}` });
        return z.NEVER;
      }
    });

const ConfigSchema = z.object({
  DATABASE_URL: z
    .string({ message: 'is required (e.g. postgres://postgres@127.0.0.1:5432/portcullis)' })
    .min(1, 'is required (e.g. postgres://postgres@127.0.0.1:5432/portcullis)')
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /**
   * Extension: a separate port for `/metrics` (then 404 on PORT) and `/healthz` (on both), kept off the
   * public network. Unset: everything on PORT.
   */
  OPS_PORT: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number().int().min(1).max(65535).optional(),
  ),
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
  /** Private or loopback hosts provider base URLs may point at (the SSRF guard refuses them otherwise). */
  UPSTREAM_ALLOWLIST: allowlistSetting('UPSTREAM_ALLOWLIST'),
  /** Extension: the same for webhook targets; a provider's allowance does not carry over. */
  WEBHOOK_ALLOWLIST: allowlistSetting('WEBHOOK_ALLOWLIST'),
  /** Extension: the same for MCP server URLs (the control plane reads their tools from there). */
  MCP_ALLOWLIST: allowlistSetting('MCP_ALLOWLIST'),
  /**
   * Extension: addresses or CIDRs of proxies (the dashboard, a load balancer) whose X-Forwarded-For is
   * believed, comma-separated; also `loopback`, `linklocal`, `uniquelocal`. Empty: the socket peer is
   * the client, whatever it claims.
   */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const entries = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const entry of entries) {
        if (PROXY_NAMES.has(entry)) continue;
        const parsed = parseCidr(entry);
        if (!parsed.ok) {
          ctx.addIssue({ code: 'custom', message: `has an invalid entry "${entry}": ${parsed.error}` });
          return z.NEVER;
        }
      }
      return entries;
    }),
  /**
   * Extension: where the dashboard is served (its origin). Invitation links point there; cookie-authenticated
   * changes must come from that origin; an https URL makes the session cookie Secure.
   */
  PUBLIC_DASHBOARD_URL: z.url().default('http://localhost:3000'),
  /** Extension: organizations one user may create. */
  MAX_ORGANIZATIONS_PER_USER: z.coerce.number().int().min(1).max(100_000).default(10),
  /** Extension: live (not revoked, not deleted) keys one user may own in an organization. */
  MAX_KEYS_PER_USER: z.coerce.number().int().min(1).max(10_000_000).default(100),
  /** Extension: unexpired ephemeral tokens one key may have at a time. */
  MAX_EPHEMERAL_TOKENS_PER_KEY: z.coerce.number().int().min(1).max(100_000).default(100),
  /**
   * Extension: SMTP server for invitation mail (nodemailer URL, e.g. smtp://127.0.0.1:2525 or
   * smtps://user:pass@mail.example.com). Unset: no mail; the accept link is only shown to the admin.
   */
  SMTP_URL: optionalNonEmpty.refine(
    (v) => v === undefined || /^smtps?:\/\//.test(v),
    'must be an smtp:// or smtps:// URL',
  ),
  /** Extension: the From of invitation mail. */
  SMTP_FROM: z.string().trim().min(1).default('Portcullis <no-reply@localhost>'),
  /** Extension: session lifetime in hours. */
  SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24 * 7),
  /**
   * Extension: `true` makes the session cookie Secure even when PUBLIC_DASHBOARD_URL is http (e.g. TLS
   * ends in front of a dashboard configured with its internal URL). An https PUBLIC_DASHBOARD_URL makes
   * it Secure whatever this says.
   */
  COOKIE_SECURE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Extension: attempts per webhook delivery (the first one included) before it is marked failed. */
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  /** Extension: the first retry's delay; each further retry waits twice as long as the one before. */
  WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(1000),
  /** Extension: how long one delivery attempt may take (connect to the end of the answer). */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Extension: days raw request logs are kept (once rolled up); rollups are kept for ever. */
  USAGE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Extension: how often the rollup job folds new request rows into hour/day rollups. */
  USAGE_ROLLUP_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5000),
  /** Extension: how often the retention job deletes raw rows older than USAGE_RETENTION_DAYS. */
  USAGE_RETENTION_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(3_600_000),
  /** Extension: how often expired sessions, old sign-in attempts and spent throttle counters are deleted. */
  AUTH_PRUNE_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(3_600_000),
  /** Extension: days sign-in attempts are kept (the sign-in throttle only looks back minutes). */
  LOGIN_ATTEMPT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  /** Extension: how often the expiry sweep looks for keys whose expiry has passed. */
  KEY_EXPIRY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  /** Extension: usage events another consumer read but left unacknowledged this long are taken over. */
  USAGE_CLAIM_IDLE_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /**
   * Extension: usage events older than this many days are dead-lettered, not counted: longer than a
   * gateway's spool would ride out any outage, so only a broken clock or a forged replay is older.
   */
  USAGE_EVENT_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /**
   * Extension: usage events dated more than this many seconds ahead of the control plane's clock are
   * dead-lettered (clock skew between hosts is tolerated; a future time would pre-spend a budget period).
   */
  USAGE_EVENT_MAX_FUTURE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(300),
  /**
   * Extension: whether the control plane mints a Redis user per gateway (ACL SETUSER, confined to the
   * gateway's organization) and hands it out at registration. `auto`: when its own Redis user may run
   * ACL SETUSER (else the gateways use the user of their REDIS_URL; see deploy/redis-acl); `off`: never.
   */
  GATEWAY_REDIS_USERS: z.enum(['auto', 'off']).default('auto'),
  /** Extension: the usage consumer's name in the Redis consumer group [hostname:PORT]. */
  USAGE_CONSUMER_NAME: optionalNonEmpty,
  /**
   * Test only: the usage consumer kills its own process (SIGKILL) on its first batch, before or after
   * committing it to Postgres and always before acknowledging it in Redis.
   */
  USAGE_TEST_FAULT: z.enum(['none', 'kill_before_commit', 'kill_after_commit']).default('none'),
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
  if (cfg.OPS_PORT !== undefined && cfg.OPS_PORT === cfg.PORT) {
    throw new ConfigError('setting OPS_PORT must differ from PORT');
  }
  if (cfg.SMTP_URL && !cfg.PORTCULLIS_MASTER_KEY) {
    // A pending mail's accept link is kept sealed under the master key until it is sent.
    throw new ConfigError(
      'setting SMTP_URL needs PORTCULLIS_MASTER_KEY (invitation links are sealed until mailed)',
    );
  }
  if (cfg.BOOTSTRAP_ADMIN_EMAIL && !EmailSchema.safeParse(cfg.BOOTSTRAP_ADMIN_EMAIL).success) {
    throw new ConfigError('setting BOOTSTRAP_ADMIN_EMAIL must be an email address');
  }
  return cfg;
}

/** Whether the session cookie must be Secure: the dashboard is served over https, or the operator says so. */
export const cookieSecure = (cfg: Pick<AppConfig, 'COOKIE_SECURE' | 'PUBLIC_DASHBOARD_URL'>): boolean =>
  cfg.COOKIE_SECURE || new URL(cfg.PUBLIC_DASHBOARD_URL).protocol === 'https:';

/** The dashboard's origin, the only one cookie-authenticated changes may come from. */
export const dashboardOrigin = (cfg: Pick<AppConfig, 'PUBLIC_DASHBOARD_URL'>): string =>
  new URL(cfg.PUBLIC_DASHBOARD_URL).origin;

/** The database host and port, for messages that must not leak the password. */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
