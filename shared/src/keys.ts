import { randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * Portcullis API key format, fixed once here and nowhere else:
 *
 *   ptcl_<keyId>_<secret><checksum>
 *
 * - `ptcl_`    product prefix, unused by well-known services, so secret scanners can match it.
 * - keyId      12 base62 characters (~71 bits), public, unique; `ptcl_<keyId>` is the displayed prefix
 *              and the O(1) lookup handle.
 * - secret     43 base62 characters drawn uniformly (43 × log2(62) ≈ 256.03 bits).
 * - checksum   CRC32 of everything before it, 6 base62 characters, so a typo is rejected without a lookup.
 *
 * Ephemeral tokens (short-lived credentials delegated from a key) have exactly this shape with an id of
 * their own (`makeKey()` with a fresh id): clients, SDKs and secret scanners treat them as keys, and a
 * gateway finds either with one lookup by id in the same id space.
 */
export const KEY_PRODUCT_PREFIX = 'ptcl_';
export const KEY_ID_LENGTH = 12;
export const KEY_SECRET_LENGTH = 43;
export const KEY_CHECKSUM_LENGTH = 6;
export const KEY_TOTAL_LENGTH =
  KEY_PRODUCT_PREFIX.length + KEY_ID_LENGTH + 1 + KEY_SECRET_LENGTH + KEY_CHECKSUM_LENGTH;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = new RegExp(
  `^${KEY_PRODUCT_PREFIX}([0-9A-Za-z]{${KEY_ID_LENGTH}})_([0-9A-Za-z]{${KEY_SECRET_LENGTH}})([0-9A-Za-z]{${KEY_CHECKSUM_LENGTH}})$`,
);

export interface ParsedKey {
  /** The public key id (without the product prefix). */
  keyId: string;
  /** The secret part, to be verified against the stored argon2id hash. */
  secret: string;
}

export type KeyParseFailure = 'malformed' | 'bad_checksum';

export function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

function checksumOf(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < KEY_CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export function displayPrefix(keyId: string): string {
  return `${KEY_PRODUCT_PREFIX}${keyId}`;
}

export function newKeyId(): string {
  return randomBase62(KEY_ID_LENGTH);
}

/** Builds the full key string for a key id; returns the secret separately so it can be hashed. */
export function makeKey(keyId: string = newKeyId()): { key: string; keyId: string; secret: string } {
  const secret = randomBase62(KEY_SECRET_LENGTH);
  const body = `${KEY_PRODUCT_PREFIX}${keyId}_${secret}`;
  return { key: body + checksumOf(body), keyId, secret };
}

/** Parses a presented key without any lookup: shape first, then the checksum. */
export function parseKey(
  presented: string,
): { ok: true; value: ParsedKey } | { ok: false; reason: KeyParseFailure } {
  if (presented.length !== KEY_TOTAL_LENGTH) return { ok: false, reason: 'malformed' };
  const m = KEY_PATTERN.exec(presented);
  if (!m) return { ok: false, reason: 'malformed' };
  const body = presented.slice(0, presented.length - KEY_CHECKSUM_LENGTH);
  if (checksumOf(body) !== m[3]) return { ok: false, reason: 'bad_checksum' };
  return { ok: true, value: { keyId: m[1] as string, secret: m[2] as string } };
}

/** True when a string looks like a Portcullis key (for log scrubbing and scanners). */
export const KEY_LIKE_PATTERN = new RegExp(
  `${KEY_PRODUCT_PREFIX}[0-9A-Za-z]{${KEY_ID_LENGTH}}_[0-9A-Za-z]{20,}`,
  'g',
);
