import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * GCM accepts tags of 4 to 16 bytes and checks only as many bytes as it is given, so an opener that
 * took the tag's length from the sealed text would let a forger shorten the tag to 4 bytes and guess
 * it (2^32 tries). The length is pinned: every tag is 16 bytes, on sealing and on opening.
 */
const TAG_BYTES = 16;

/**
 * AES-256-GCM sealing, shared by the control plane (provider secrets at rest, in snapshots) and the
 * gateway (opening them, wrapping its cached snapshot key). Sealed form: `v<version>.<iv>.<tag>.<data>`
 * in base64url, with the key version so keys can rotate. Any tampering fails closed (throws).
 */
export function seal(key: Buffer, plaintext: string, version = 1, aad = ''): string {
  if (key.length !== 32) throw new Error('seal: key must be 32 bytes');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `v${version}.${iv.toString('base64url')}.${tag.toString('base64url')}.${data.toString('base64url')}`;
}

export function sealedVersion(sealed: string): number {
  const m = /^v(\d+)\./.exec(sealed);
  if (!m) throw new Error('open: not a sealed value');
  return Number(m[1]);
}

export function open(key: Buffer, sealed: string, aad = ''): string {
  const parts = sealed.split('.');
  if (parts.length !== 4 || !/^v\d+$/.test(parts[0] ?? '')) throw new Error('open: not a sealed value');
  const [, iv, tag, data] = parts as [string, string, string, string];
  const tagBytes = Buffer.from(tag, 'base64url');
  if (tagBytes.length !== TAG_BYTES) throw new Error(`open: the tag must be ${TAG_BYTES} bytes`);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tagBytes);
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
}

/** Parses a 32-byte key given as base64/base64url (44 chars) or hex (64 chars). */
export function parseKey32(text: string): Buffer | null {
  const t = text.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  return buf.length === 32 ? buf : null;
}

/** A key derived from a high-entropy token (e.g. the gateway token) for a given purpose. */
export function deriveKey(token: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(token, 'utf8'), Buffer.alloc(0), purpose, 32));
}
