import { createHash, randomBytes } from 'node:crypto';
import { Algorithm, hash, verify } from '@node-rs/argon2';

/** OWASP's argon2id recommendation (m = 19 MiB, t = 2, p = 1); used for passwords and key secrets. */
const ARGON2_OPTIONS = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function argon2Hash(secret: string): Promise<string> {
  return hash(secret, ARGON2_OPTIONS);
}

export async function argon2Verify(digest: string, secret: string): Promise<boolean> {
  try {
    return await verify(digest, secret);
  } catch {
    return false;
  }
}

/** A hash that exists only so unknown-user sign-ins cost as much as known ones. */
let decoyHash: Promise<string> | undefined;
export function decoyArgon2Hash(): Promise<string> {
  decoyHash ??= argon2Hash(randomBytes(32).toString('base64url'));
  return decoyHash;
}

/** Opaque bearer tokens (sessions, invitations): 256 random bits with a readable prefix. */
export function newOpaqueToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
