import { parseUpstreamAllowlist } from '@portcullis/shared/upstream-url';
import { z } from 'zod';
import { AUTH_DEFAULTS } from './pipeline/authenticate.js';

/** An allow list setting (comma-separated hosts, `host:port`s or CIDRs); refusals name the setting. */
const allowlistSetting = (setting: string) =>
  z
    .string()
    .default('')
    .transform((text, ctx) => {
      try {
        return parseUpstreamAllowlist(text, setting);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  /**
   * Extension: a separate port for `/readyz` and `/metrics` (they then 404 on PORT); `/healthz` answers
   * on both. Unset: everything on PORT.
   */
  OPS_PORT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(1).max(65535).optional(),
  ),
  CONTROL_PLANE_URL: z.url().default('http://127.0.0.1:4000'),
  GATEWAY_TOKEN: z.string().optional(),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  GATEWAY_STATE_DIR: z.string().default('./.local/gateway-state'),
  TRUSTED_PROXIES: z.string().default(''),
  /** Private or loopback hosts provider base URLs may point at. */
  UPSTREAM_ALLOWLIST: allowlistSetting('UPSTREAM_ALLOWLIST'),
  /** Extension: the same for MCP server URLs; a provider's allowance does not carry over. */
  MCP_ALLOWLIST: allowlistSetting('MCP_ALLOWLIST'),
  /** Extension: how long to wait for an upstream's response headers before 504 upstream_timeout. */
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /**
   * Extension: the most disk the usage spool (`GATEWAY_STATE_DIR/usage-spool/`) may hold while Redis is
   * unreachable; events beyond it are dropped and counted in portcullis_gateway_usage_events_total.
   */
  USAGE_SPOOL_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024),
  /**
   * Extension: argon2 verifications (a presented secret this process has not proven yet) running at once,
   * and how many more may wait; beyond that, 429 rate_limit_exceeded. Default: half the cores, 1 to 3.
   */
  AUTH_VERIFY_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
  AUTH_VERIFY_QUEUE: z.coerce.number().int().min(0).default(AUTH_DEFAULTS.verifyQueue),
  /** Extension: unproven secrets per client address (IPv6: per /64) per minute before 429. */
  AUTH_FAILURES_PER_ADDRESS_PER_MINUTE: z.coerce
    .number()
    .int()
    .positive()
    .default(AUTH_DEFAULTS.failuresPerIpPerMinute),
  /** Extension: unproven secrets per key id per minute; past it, one per AUTH_KEY_RESERVE_INTERVAL_MS. */
  AUTH_FAILURES_PER_KEY_PER_MINUTE: z.coerce
    .number()
    .int()
    .positive()
    .default(AUTH_DEFAULTS.failuresPerKeyPerMinute),
  /** Extension: unproven secrets per second for the whole gateway process (bounds a spread-out flood). */
  AUTH_FAILURES_PER_SECOND: z.coerce.number().int().positive().default(AUTH_DEFAULTS.failuresPerSecond),
  AUTH_KEY_RESERVE_INTERVAL_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(AUTH_DEFAULTS.keyReserveIntervalMs),
});
export type GatewayEnv = z.infer<typeof EnvSchema>;

/** Parses the settings once; prints one sentence per bad setting and exits instead of throwing. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): GatewayEnv {
  const parsed = EnvSchema.refine((e) => e.OPS_PORT === undefined || e.OPS_PORT !== e.PORT, {
    path: ['OPS_PORT'],
    message: 'must differ from PORT',
  }).safeParse(source);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      console.error(`Portcullis gateway cannot start: setting ${issue.path.join('.')} ${issue.message}.`);
    }
    process.exit(1);
  }
  return parsed.data;
}

/** Comma-separated list setting → trimmed non-empty entries. */
export const listSetting = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
