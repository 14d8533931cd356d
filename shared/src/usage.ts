import { z } from 'zod';
import { Timestamp } from './api/fields';
import { type BUDGET_PERIODS, ModelSlugSchema, type Provider, ProviderSchema } from './api-keys';

export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/**
 * Usage events and spend: the contract between gateways (which emit one event per request they
 * attribute to a key) and the control plane (which consumes them once, idempotently), plus the pure
 * arithmetic both sides share: cost from tokens and prices, and calendar-aligned budget periods.
 */

/**
 * Gateways append usage events to their organization's stream, `usageStreamOf(orgId)` in
 * `@portcullis/shared/redis-keys` (one field, `e`, holding the JSON event signed as
 * `@portcullis/shared/usage-signing` says).
 */
/** The consumer group the control plane reads every organization's usage stream with. */
export const USAGE_CONSUMER_GROUP = 'control-plane';

/**
 * Where the control plane moves every usage entry it will not count (see `DeadLetterClass`), in the
 * same step that acknowledges it: the entry's original fields, after these of its own, each named
 * `dl_*` (readers take the first occurrence of a name): `dl_class`, `dl_reason` (names fields, never
 * values), `dl_at` (ISO time), `dl_entry` (the entry's id in its stream), `dl_consumer`, `dl_stream` (the organization's usage stream it was read from), and
 * `dl_truncated` when an original value was cut (see `USAGE_DEAD_LETTER_VALUE_MAX`).
 * Not under `portcullis:usage:*`: gateways may XADD there (deploy/redis-acl), never here.
 */
export const USAGE_DEAD_LETTER_STREAM = 'portcullis:dead-letter:usage';
/** A hash: dead-letter class → entries moved there so far, by every control plane. */
export const USAGE_DEAD_LETTER_COUNTS = 'portcullis:dead-letter:usage:counts';
/**
 * The dead-letter stream keeps about the newest this many entries (`XADD MAXLEN ~`); the counts are
 * kept for ever. With values capped at `USAGE_DEAD_LETTER_VALUE_MAX` that is at most ~160 MiB of
 * Redis memory, ~10 MiB for gateway-sized events (about a KiB each).
 */
export const USAGE_DEAD_LETTER_MAXLEN = 10_000;
/** Characters kept of one original value in a dead-letter entry (a gateway's event is ≤ ~5 KiB). */
export const USAGE_DEAD_LETTER_VALUE_MAX = 16 * 1024;

/**
 * Why an entry was dead-lettered (a metric label and a key of the counts hash: a closed set).
 * - `malformed`: no JSON event at all (not JSON, no field `e`, too large, deleted from the stream);
 * - `invalid`: a field's type or range (`UsageEventSchema`), or text Postgres cannot store;
 * - `out_of_window`: `time` too old or in the future (the control plane's USAGE_EVENT_MAX_* settings);
 * - `unknown_key`: `keyId` is no key; `wrong_org`: the key is another organization's;
 * - `wrong_owner`: `ownerId` is not the key's owner (nor was it when the event happened);
 * - `implausible_cost`: `costUsd` beyond what the tokens can cost at the model's price;
 * - `database`: Postgres refused the event alone (a constraint or a range the checks above missed);
 * - `unsigned`: no signature (`sig`); `unknown_gateway`: `gatewayId` names no gateway (or a removed
 *   one); `bad_signature`: the signature does not verify under that gateway's secret (forged, or the
 *   event was altered after signing); `wrong_gateway_org`: the gateway is not of the event's
 *   organization, or the event is in another organization's stream.
 */
export const DEAD_LETTER_CLASSES = [
  'malformed',
  'invalid',
  'out_of_window',
  'unknown_key',
  'wrong_org',
  'wrong_owner',
  'implausible_cost',
  'database',
  'unsigned',
  'unknown_gateway',
  'bad_signature',
  'wrong_gateway_org',
] as const;
export type DeadLetterClass = (typeof DEAD_LETTER_CLASSES)[number];

/**
 * Bounds of one event, far above any real request (the largest context windows are a few million
 * tokens; the dearest list prices make one request cost a few hundred dollars), so that every value
 * fits its column and no sum the control plane keeps can overflow (those columns are `numeric`).
 */
export const USAGE_EVENT_LIMITS = {
  /** Per token field. */
  maxTokens: 1_000_000_000,
  maxCostUsd: 10_000,
  /** A week: long-lived streams (MCP sessions) included. */
  maxLatencyMs: 7 * 86_400_000,
} as const;

const MAX_TEXT = 512;
const clip = (max: number) => z.string().max(max);
/** One token count of one request. */
const tokenCount = z.number().int().nonnegative().max(USAGE_EVENT_LIMITS.maxTokens);

/**
 * The event, one line per field (type and range): a field added here is validated by the control
 * plane's consumer as it is. A new token field must also join `USAGE_TOKEN_FIELDS`.
 */
export const UsageEventSchema = z.object({
  /** Unique per event; a redelivered event carries the same id (what makes ingestion idempotent). */
  id: z.uuid(),
  /** When the request arrived at the gateway (ISO 8601 UTC). */
  time: z.iso.datetime(),
  orgId: z.uuid(),
  /** The API key's id (`api_keys.id`, not its public key id). */
  keyId: z.uuid(),
  ownerId: z.uuid(),
  gatewayId: clip(200).min(1),
  /** The gateway's request id: a client's well-formed `x-request-id` or a UUID. */
  requestId: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/),
  method: z.string().regex(/^[A-Z]{1,16}$/),
  /** The gateway route: `/v1/chat/completions`, `/gateway/:provider/*`, … */
  route: clip(200).startsWith('/'),
  /** The model's slug in the organization, null when the request reached no model. */
  model: ModelSlugSchema.nullable(),
  provider: ProviderSchema.nullable(),
  /** Every input token, cached or not (as OpenAI's `prompt_tokens`; Anthropic's three input counts summed). */
  inputTokens: tokenCount,
  outputTokens: tokenCount,
  /** Of `inputTokens`, those written to the provider's prompt cache (absent: 0). */
  cacheCreationInputTokens: tokenCount.default(0),
  /** Of `inputTokens`, those read from the provider's prompt cache (absent: 0). */
  cacheReadInputTokens: tokenCount.default(0),
  /**
   * Tokens × the model's prices at the time of the request (see `costMicroUsd`); for a call without a
   * model (pass-through naming none), the cost the provider reported, if any, else 0.
   */
  costUsd: z.number().nonnegative().finite().max(USAGE_EVENT_LIMITS.maxCostUsd),
  /** True when the provider reported no usage and the tokens are the gateway's estimate. */
  estimated: z.boolean(),
  /** The client went away before the answer was complete (what was streamed is billed). */
  aborted: z.boolean(),
  status: z.number().int().min(100).max(599),
  errorCode: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .nullable(),
  latencyMs: z.number().nonnegative().finite().max(USAGE_EVENT_LIMITS.maxLatencyMs),
  sourceIp: z.union([z.ipv4(), z.ipv6()]).nullable(),
  userAgent: clip(MAX_TEXT).nullable(),
  /** The key's metadata tags at the time of the request. */
  metadata: z.record(z.string(), z.unknown()),
});
export type UsageEvent = z.infer<typeof UsageEventSchema>;

/** Every token count of an event: what a request's cost can be made of (the consumer's cost check). */
export const USAGE_TOKEN_FIELDS = [
  'inputTokens',
  'outputTokens',
  'cacheCreationInputTokens',
  'cacheReadInputTokens',
] as const satisfies readonly (keyof UsageEvent)[];

/**
 * Prices of a model in USD per million tokens. The cache prices are optional: null or absent means the
 * provider's usual multiple of the input price (`CACHE_PRICE_MULTIPLES`).
 */
export interface ModelPrices {
  inputPricePerMTok: number;
  outputPricePerMTok: number;
  cacheWritePricePerMTok?: number | null;
  cacheReadPricePerMTok?: number | null;
}

/** Tokens of one request, as usage events count them: the cache counts are part of `inputTokens`. */
export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens?: number;
  cacheReadInputTokens?: number;
}

/**
 * What a cache write and a cache read cost, as multiples of the input price, when a model sets no cache
 * price. Anthropic bills 5-minute cache writes at 1.25× and reads at 0.1× the input price. The
 * OpenAI-format providers report cached prompt tokens inside `prompt_tokens` (and write no cache
 * at a charge); their read discount varies by model and provider (OpenAI 50–90 %, Gemini its own), so
 * the default bills them at the full input price, which never bills less than the provider; a model
 * that sets `cacheReadPricePerMTok` gets its discount.
 */
export const CACHE_PRICE_MULTIPLES: Record<Provider, { write: number; read: number }> = {
  anthropic: { write: 1.25, read: 0.1 },
  openai: { write: 1, read: 1 },
  azure_openai: { write: 1, read: 1 },
  gemini: { write: 1, read: 1 },
  openai_compatible: { write: 1, read: 1 },
};
const NO_MULTIPLES = { write: 1, read: 1 };

/** The cache prices a model bills at: its own, else its provider's multiple of its input price. */
export function cachePrices(
  prices: ModelPrices,
  provider: Provider | null,
): { writePricePerMTok: number; readPricePerMTok: number } {
  const m = (provider && CACHE_PRICE_MULTIPLES[provider]) || NO_MULTIPLES;
  return {
    writePricePerMTok: prices.cacheWritePricePerMTok ?? prices.inputPricePerMTok * m.write,
    readPricePerMTok: prices.cacheReadPricePerMTok ?? prices.inputPricePerMTok * m.read,
  };
}

/** Micro-dollars: spend is counted in integers so sums across gateways and Redis are exact. */
export const MICRO_USD = 1_000_000;

/**
 * Cost of a request in micro-USD, rounded up (a request is never billed less than it cost): uncached
 * input at the input price, cache writes and reads at the cache prices (`cachePrices`), output at the
 * output price. Cache counts beyond `inputTokens` (which includes them) are billed as they are.
 */
export function costMicroUsd(
  prices: ModelPrices,
  usage: TokenCounts,
  provider: Provider | null = null,
): number {
  const write = usage.cacheCreationInputTokens ?? 0;
  const read = usage.cacheReadInputTokens ?? 0;
  // price per MTok × tokens / 1e6 USD = price × tokens micro-USD.
  let micro =
    prices.inputPricePerMTok * Math.max(0, usage.inputTokens - write - read) +
    prices.outputPricePerMTok * usage.outputTokens;
  if (write > 0 || read > 0) {
    const cache = cachePrices(prices, provider);
    micro += cache.writePricePerMTok * write + cache.readPricePerMTok * read;
  }
  return Math.max(0, Math.ceil(micro - 1e-9));
}

/** The highest price an input token of this model can be billed at (budget reservations). */
export function maxInputPricePerMTok(prices: ModelPrices, provider: Provider | null): number {
  const cache = cachePrices(prices, provider);
  return Math.max(prices.inputPricePerMTok, cache.writePricePerMTok, cache.readPricePerMTok);
}

export const microToUsd = (micro: number): number => micro / MICRO_USD;
export const usdToMicro = (usd: number): number => Math.round(usd * MICRO_USD);

const DAY_MS = 86_400_000;

/**
 * Start of the budget period containing `now`, calendar-aligned in UTC: midnight for `daily`, Monday
 * 00:00 (ISO week) for `weekly`, the 1st 00:00 for `monthly`, the epoch for `lifetime`. Periods are
 * derived from the clock, never from a reset job, so a reset cannot be missed after downtime.
 */
export function periodStart(period: BudgetPeriod, now: number): number {
  const d = new Date(now);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  switch (period) {
    case 'daily':
      return midnight;
    case 'weekly':
      // getUTCDay: Sunday 0 … Saturday 6; ISO weeks start on Monday.
      return midnight - ((d.getUTCDay() + 6) % 7) * DAY_MS;
    case 'monthly':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case 'lifetime':
      return 0;
  }
}

/** Start of the next period (when spend resets); `Infinity` for `lifetime`. */
export function periodEnd(period: BudgetPeriod, now: number): number {
  const start = periodStart(period, now);
  const d = new Date(start);
  switch (period) {
    case 'daily':
      return start + DAY_MS;
    case 'weekly':
      return start + 7 * DAY_MS;
    case 'monthly':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    case 'lifetime':
      return Number.POSITIVE_INFINITY;
  }
}

/** A compact, stable name for the period containing `now` (Redis keys, alert dedup): `d20261123`, … */
export function periodId(period: BudgetPeriod, now: number): string {
  if (period === 'lifetime') return 'life';
  const iso = new Date(periodStart(period, now)).toISOString();
  const ymd = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
  return `${period[0]}${ymd}`;
}

/* ------------------------------------------------------------ report views */

/** The bar sizes of `GET /orgs/:org/usage`. */
export const USAGE_BUCKETS = ['hour', 'day'] as const;
export type UsageBucket = (typeof USAGE_BUCKETS)[number];

/** Sums over a set of requests, as `GET /orgs/:org/usage` reports them. */
export const UsageSumsSchema = z.object({
  requests: z.number(),
  errors: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z.number(),
});
export type UsageSums = z.infer<typeof UsageSumsSchema>;

/** `GET /orgs/:org/usage`: a time series plus the totals and the breakdowns by key, user and model. */
export const UsageReportSchema = z.object({
  bucket: z.enum(USAGE_BUCKETS),
  from: Timestamp,
  to: Timestamp,
  data: z.array(UsageSumsSchema.extend({ start: Timestamp })),
  totals: UsageSumsSchema,
  byKey: z.array(UsageSumsSchema.extend({ keyId: z.string(), name: z.string().nullable() })),
  byUser: z.array(
    UsageSumsSchema.extend({ userId: z.string(), name: z.string().nullable(), email: z.string().nullable() }),
  ),
  byModel: z.array(UsageSumsSchema.extend({ model: z.string().nullable() })),
});
export type UsageReport = z.infer<typeof UsageReportSchema>;

/** One row of a key's usage history (`GET /orgs/:org/keys/:id/requests`). */
export const KeyRequestViewSchema = z.object({
  id: z.string(),
  time: Timestamp,
  method: z.string(),
  route: z.string(),
  model: z.string().nullable(),
  provider: z.string().nullable(),
  status: z.number(),
  errorCode: z.string().nullable(),
  /** Every input token, the cache counts included. */
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheCreationInputTokens: z.number(),
  cacheReadInputTokens: z.number(),
  costUsd: z.number(),
  /** The provider reported no usage (or not all of it): the tokens are the gateway's estimate. */
  estimated: z.boolean(),
  aborted: z.boolean(),
  latencyMs: z.number(),
  sourceIp: z.string().nullable(),
  userAgent: z.string().nullable(),
  gatewayId: z.string(),
  requestId: z.string(),
  userId: z.string(),
  metadata: z.record(z.string(), z.unknown()),
});
export type KeyRequestView = z.infer<typeof KeyRequestViewSchema>;

const deadLetterCounts = z.object(
  Object.fromEntries(DEAD_LETTER_CLASSES.map((c) => [c, z.number()])) as Record<DeadLetterClass, z.ZodNumber>,
);

/** What `GET /healthz` says about usage ingestion. */
export const UsageHealthSchema = z.object({
  /** `paused`: Redis or Postgres is failing; the consumer backs off and retries (nothing is lost). */
  ingestion: z.enum(['running', 'paused']),
  /** This process since it started. */
  consumer: z.object({
    ingested: z.number(),
    duplicates: z.number(),
    deadLettered: z.number(),
    batches: z.number(),
    /** Batches the database refused whole and that were written one event at a time. */
    isolatedBatches: z.number(),
  }),
  /**
   * Entries moved to the dead-letter stream by every control plane, ever (Redis keeps the count; the
   * stream itself keeps the newest `USAGE_DEAD_LETTER_MAXLEN`), as this process last read it. `null`
   * until first read (Redis down since start).
   */
  deadLetter: z
    .object({ stream: z.string(), total: z.number(), byReason: deadLetterCounts, readAt: Timestamp })
    .nullable(),
});
export type UsageHealth = z.infer<typeof UsageHealthSchema>;

/** `GET /healthz`. */
export const HealthSchema = z.object({ status: z.literal('ok'), usage: UsageHealthSchema });
export type Health = z.infer<typeof HealthSchema>;
