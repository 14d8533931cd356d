import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { noControlChars } from './api-keys';

/**
 * Webhooks: the request schema of an endpoint (control plane, dashboard), the views the API returns,
 * and the signature both sides must agree on. A delivery is a POST of `{ id, type, createdAt, data }`
 * with `portcullis-webhook-id: <delivery id>` and
 * `portcullis-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The HMAC key is the whole secret string as shown once at creation (`whsec_…`), as UTF-8 bytes.
 */

export const WEBHOOK_EVENTS = ['budget.threshold', 'key.expired', 'webhook.test'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const WEBHOOK_ID_HEADER = 'portcullis-webhook-id';
export const WEBHOOK_SIGNATURE_HEADER = 'portcullis-signature';
/** Receivers should refuse signatures whose timestamp is further than this from their clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

const required = (what: string) => ({
  error: (i: { input: unknown }) => (i.input === undefined ? 'is required' : `must be ${what}`),
});

/** Shape only; the SSRF guard needs the operator's allowlist, so the control plane applies it after parsing. */
export const WebhookUrlSchema = z
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

export const CreateWebhookSchema = z.strictObject({
  url: WebhookUrlSchema,
  description: z
    .string(required('a string'))
    .trim()
    .max(500, 'must be at most 500 characters')
    .refine(noControlChars, 'must not contain control characters')
    .optional(),
  /** Which event types this endpoint receives; all of them when absent. */
  events: z
    .array(
      z.enum(WEBHOOK_EVENTS, {
        error: () => `must be one of ${WEBHOOK_EVENTS.join(', ')}`,
      }),
      required('an array of event types'),
    )
    .min(1, 'must name at least one event type')
    .refine((a) => new Set(a).size === a.length, 'must not repeat an event type')
    .optional(),
});
export type CreateWebhookInput = z.infer<typeof CreateWebhookSchema>;

export interface WebhookView {
  id: string;
  url: string;
  description: string | null;
  events: WebhookEventType[];
  /** `whsec_…` and the secret's last 4 characters: enough to tell two secrets apart, never the secret. */
  secretPreview: string;
  createdAt: string;
}

export interface WebhookDeliveryAttempt {
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookDeliveryView {
  id: string;
  webhookId: string;
  type: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  /** Extension: every attempt so far, oldest first. */
  attemptLog: WebhookDeliveryAttempt[];
}

/** The JSON body of every delivery. `id` is the delivery id (also in `portcullis-webhook-id`). */
export interface WebhookPayload<T = unknown> {
  id: string;
  type: WebhookEventType;
  createdAt: string;
  data: T;
}

/** `data` of a `budget.threshold` delivery. */
export interface BudgetThresholdData {
  keyId: string;
  keyName: string;
  ownerId: string;
  /** The percentage of the limit that was reached (one of the budget's alertThresholds). */
  threshold: number;
  period: string;
  periodStart: string;
  spentUsd: number;
  limitUsd: number;
}

/** `data` of a `key.expired` delivery. */
export interface KeyExpiredData {
  keyId: string;
  keyName: string;
  ownerId: string;
  expiresAt: string;
}

export function webhookSecretPreview(secret: string): string {
  return `${WEBHOOK_SECRET_PREFIX}…${secret.slice(-4)}`;
}

const hmacHex = (secret: string, t: number, body: string | Uint8Array): string =>
  createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');

/** The `portcullis-signature` header value for `body` (the exact bytes sent) signed at `t` (unix seconds). */
export function signWebhook(secret: string, body: string | Uint8Array, t: number): string {
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

export type WebhookVerification =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'too_old' | 'too_new' };

/**
 * Checks a `portcullis-signature` header against the raw request body (before any JSON parsing: a
 * re-serialized body does not verify). Any `v1=` entry may match (a header may carry several during a
 * secret rollover); timestamps further than `toleranceSeconds` from `nowSeconds` are refused, which
 * bounds how long a captured request can be replayed. Receivers should also remember delivery ids
 * (`portcullis-webhook-id`) for that long and refuse repeats.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  rawBody: string | Uint8Array,
  nowSeconds: number,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): WebhookVerification {
  if (typeof header !== 'string' || header.length > 4096) return { ok: false, reason: 'malformed' };
  let t: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't') {
      if (!/^\d{1,12}$/.test(value) || t !== null) return { ok: false, reason: 'malformed' };
      t = Number(value);
    } else if (name === 'v1' && /^[0-9a-f]{64}$/.test(value)) {
      signatures.push(value);
    }
  }
  if (t === null || signatures.length === 0) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(hmacHex(secret, t, rawBody), 'hex');
  const matches = signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  if (!matches) return { ok: false, reason: 'bad_signature' };
  if (t < nowSeconds - toleranceSeconds) return { ok: false, reason: 'too_old' };
  if (t > nowSeconds + toleranceSeconds) return { ok: false, reason: 'too_new' };
  return { ok: true, timestamp: t };
}
