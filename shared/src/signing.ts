import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

/**
 * The control plane's Ed25519 signatures over what gateways act on: full snapshots (HTTP and the
 * gateway's disk cache), deltas and heartbeats (Redis pub/sub, and the disk cache's journal). Redis is
 * a transport, not an authority: a gateway applies nothing that does not verify under the public key it
 * pinned when it first registered.
 *
 * What is signed: `portcullis-signed/v1 <purpose> <sha256 hex of the exact bytes>`. The purpose keeps a
 * signature for one use from being accepted for another (a message is never a full snapshot), and the
 * digest keeps signing a 30 MB snapshot as cheap as signing a heartbeat.
 */
export type SignaturePurpose = 'snapshot-message' | 'full-snapshot';

/** The response header that carries a full snapshot's signature (over the body's exact bytes). */
export const SNAPSHOT_SIGNATURE_HEADER = 'x-portcullis-signature';

const signedData = (purpose: SignaturePurpose, body: string | Buffer): Buffer =>
  Buffer.from(`portcullis-signed/v1 ${purpose} ${createHash('sha256').update(body).digest('hex')}`, 'utf8');

/** An Ed25519 signature (base64url, 86 characters) over `body` for `purpose`. */
export function signBytes(privateKey: KeyObject, purpose: SignaturePurpose, body: string | Buffer): string {
  return sign(null, signedData(purpose, body), privateKey).toString('base64url');
}

/** Whether `signature` is the signature of `body` for `purpose` under `publicKey`; never throws. */
export function verifyBytes(
  publicKey: KeyObject,
  purpose: SignaturePurpose,
  body: string | Buffer,
  signature: string,
): boolean {
  if (!/^[A-Za-z0-9_-]{86}$/.test(signature)) return false;
  try {
    return verify(null, signedData(purpose, body), publicKey, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}

const SIG_SUFFIX = /,"sig":"([A-Za-z0-9_-]{86})"\}$/;

/**
 * A pub/sub message with its signature: the JSON object text `body` with a last field `sig` appended,
 * `{…,"sig":"<signature of body>"}`. Still one JSON object (readers that ignore `sig` read it as before),
 * and the signed bytes are recovered exactly by cutting the field off again.
 */
export function signMessageText(privateKey: KeyObject, body: string): string {
  if (!body.startsWith('{') || !body.endsWith('}') || body === '{}')
    throw new Error('signMessageText: the body must be a non-empty JSON object text');
  return `${body.slice(0, -1)},"sig":"${signBytes(privateKey, 'snapshot-message', body)}"}`;
}

/** The signed body and its signature, or null when the text carries no signature field at its end. */
export function splitSignedMessage(text: string): { body: string; signature: string } | null {
  const m = SIG_SUFFIX.exec(text);
  if (!m?.[1]) return null;
  return { body: `${text.slice(0, m.index)}}`, signature: m[1] };
}

/** The message body when `text` is signed by `publicKey`; `unsigned` / `bad_signature` otherwise. */
export function verifyMessageText(
  publicKey: KeyObject,
  text: string,
): { ok: true; body: string } | { ok: false; reason: 'unsigned' | 'bad_signature' } {
  const split = splitSignedMessage(text);
  if (!split) return { ok: false, reason: 'unsigned' };
  return verifyBytes(publicKey, 'snapshot-message', split.body, split.signature)
    ? { ok: true, body: split.body }
    : { ok: false, reason: 'bad_signature' };
}

/** A public key as sent to gateways: its raw 32 bytes, base64url. */
export function encodePublicKey(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string')
    throw new Error('encodePublicKey: not an Ed25519 key');
  return jwk.x;
}

/** The Ed25519 public key from its raw base64url form, or null when it is not one. */
export function decodePublicKey(text: string): KeyObject | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return null;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: text }, format: 'jwk' });
  } catch {
    return null;
  }
}

/** A private key from its PKCS#8 DER form (base64url), as the control plane keeps it (sealed). */
export function decodePrivateKey(pkcs8: string): KeyObject {
  const key = createPrivateKey({ key: Buffer.from(pkcs8, 'base64url'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('decodePrivateKey: not an Ed25519 key');
  return key;
}

/** A short fingerprint of a public key (for logs, /readyz and the pin file): `ed25519:<16 hex>`. */
export function publicKeyFingerprint(encoded: string): string {
  return `ed25519:${createHash('sha256').update(encoded, 'utf8').digest('hex').slice(0, 16)}`;
}
