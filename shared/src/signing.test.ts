import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodePrivateKey,
  decodePublicKey,
  encodePublicKey,
  signBytes,
  signMessageText,
  splitSignedMessage,
  verifyBytes,
  verifyMessageText,
} from './signing';

const pair = () => generateKeyPairSync('ed25519');

describe('control-plane signatures', () => {
  it('a signed message is still the same JSON object plus `sig`, and verifies only as sent', () => {
    const { privateKey, publicKey } = pair();
    const body = JSON.stringify({ kind: 'heartbeat', orgId: 'o', version: 3, at: 'now' });
    const text = signMessageText(privateKey, body);
    expect(JSON.parse(text)).toMatchObject({ kind: 'heartbeat', version: 3 });
    expect(splitSignedMessage(text)?.body).toBe(body);
    expect(verifyMessageText(publicKey, text)).toEqual({ ok: true, body });
    expect(verifyMessageText(publicKey, body)).toEqual({ ok: false, reason: 'unsigned' });
    const altered = text.replace('"version":3', '"version":9');
    expect(verifyMessageText(publicKey, altered)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyMessageText(pair().publicKey, text)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('a signature is bound to its purpose, and keys round-trip through their encodings', () => {
    const { privateKey, publicKey } = pair();
    const sig = signBytes(privateKey, 'full-snapshot', Buffer.from('{"a":1}'));
    expect(verifyBytes(publicKey, 'full-snapshot', '{"a":1}', sig)).toBe(true);
    expect(verifyBytes(publicKey, 'snapshot-message', '{"a":1}', sig)).toBe(false);
    expect(verifyBytes(publicKey, 'full-snapshot', '{"a":1}', 'not-a-signature')).toBe(false);
    const encoded = encodePublicKey(publicKey);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const decoded = decodePublicKey(encoded);
    expect(decoded && verifyBytes(decoded, 'full-snapshot', '{"a":1}', sig)).toBe(true);
    expect(decodePublicKey('short')).toBeNull();
    const der = privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url');
    expect(
      verifyBytes(publicKey, 'full-snapshot', 'x', signBytes(decodePrivateKey(der), 'full-snapshot', 'x')),
    ).toBe(true);
  });
});
