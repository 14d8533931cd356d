import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookEventType } from './webhooks-api';

/**
 * Webhooks: the signature both sides must agree on (the REST schemas and views are in webhooks-api.ts,
 * re-exported here). A delivery is a POST of `{ id, type, createdAt, data }`
 * with `portcullis-webhook-id: <delivery id>` and
 * `portcullis-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The HMAC key is the whole secret string as shown once at creation (`whsec_…`), as UTF-8 bytes.
 */

export * from './webhooks-api';

export const WEBHOOK_ID_HEADER = 'portcullis-webhook-id';
export const WEBHOOK_SIGNATURE_HEADER = 'portcullis-signature';
/** Receivers should refuse signatures whose timestamp is further than this from their clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

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
