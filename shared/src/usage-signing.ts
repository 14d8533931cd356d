import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Usage events are signed by the gateway that wrote them: HMAC-SHA256, under the gateway's own usage
 * signing secret (32 random bytes the control plane issues at registration), over a canonical form of
 * the event. The event names its gateway (`gatewayId`, the id `GET /orgs/:org/gateways` lists) and
 * carries the signature in the field `sig` (`v1.<base64url MAC>`); the MAC covers every other field.
 * The control plane counts an event only if the gateway it names exists, belongs to the event's
 * organization and its secret verifies the MAC: a party that can write to Redis but holds no secret
 * (or another organization's) cannot add spend or requests.
 */
export const USAGE_SIGNATURE_FIELD = 'sig';
const VERSION = 'v1';
/** Domain separation: a MAC over an event can never be mistaken for a MAC over anything else. */
const CONTEXT = 'portcullis-usage-event.v1\n';
export const USAGE_SIGNING_SECRET_BYTES = 32;

/** A fresh usage signing secret, base64url (what the registration answer carries). */
export const makeUsageSigningSecret = (): string =>
  randomBytes(USAGE_SIGNING_SECRET_BYTES).toString('base64url');

/** The secret as bytes, or null when it is not 32 bytes of base64url. */
export function parseUsageSigningSecret(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return null;
  const buf = Buffer.from(text, 'base64url');
  return buf.length === USAGE_SIGNING_SECRET_BYTES ? buf : null;
}

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units), no whitespace, values as JSON.stringify
 * writes them (numbers in their shortest round-trip form); `undefined` members are left out, as
 * JSON.stringify does. Parsing a serialized event and canonicalizing it gives the same text as
 * canonicalizing the object it was serialized from, so the MAC survives any re-encoding.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(obj).sort()) {
    const v = obj[k];
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** The MAC input: the canonical event without its signature field. */
function mac(event: Record<string, unknown>, secret: Buffer): Buffer {
  const { [USAGE_SIGNATURE_FIELD]: _sig, ...rest } = event;
  return createHmac('sha256', secret).update(CONTEXT).update(canonicalJson(rest)).digest();
}

/** The signature value for `event` (any `sig` it holds is ignored). */
export function usageSignature(event: Record<string, unknown>, secret: Buffer): string {
  return `${VERSION}.${mac(event, secret).toString('base64url')}`;
}

/** The event as one JSON line, signed (what a gateway XADDs as field `e`). */
export function signUsageEvent(event: object, secret: Buffer): string {
  const obj = event as Record<string, unknown>;
  return JSON.stringify({ ...obj, [USAGE_SIGNATURE_FIELD]: usageSignature(obj, secret) });
}

/** Whether `value` holds a number JSON cannot (Infinity, NaN) at any depth. */
function holdsNonFinite(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).some(holdsNonFinite);
}

/**
 * True when `event.sig` is a valid signature of the rest of `event` under `secret` (constant time).
 * An event holding Infinity (what `1e400` parses to) never verifies: canonical JSON writes it as `null`,
 * so it would otherwise pass for an honest event's `null`.
 */
export function verifyUsageEvent(event: Record<string, unknown>, secret: Buffer): boolean {
  const sig = event[USAGE_SIGNATURE_FIELD];
  if (typeof sig !== 'string' || !sig.startsWith(`${VERSION}.`)) return false;
  if (holdsNonFinite(event)) return false;
  const given = Buffer.from(sig.slice(VERSION.length + 1), 'base64url');
  const expected = mac(event, secret);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
