import type { KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodePublicKey, publicKeyFingerprint } from '@portcullis/shared/signing';
import { z } from 'zod';

/** The pin file, in GATEWAY_STATE_DIR. Deleting it (gateway stopped) is how an operator resets the pin. */
export const PIN_FILE = 'control-plane-key.json';

const PinFileSchema = z.object({
  algorithm: z.literal('ed25519'),
  publicKey: z.string(),
  pinnedAt: z.string(),
});

export type PinResult = 'pinned' | 'same' | 'mismatch';

/**
 * The control plane's signing key as this gateway first learned it (trust on first use, over the
 * authenticated registration call), kept in the state directory. Everything the gateway applies or
 * caches must verify under it; a registration that presents another key is refused until an operator
 * deletes the pin file. A pin file that cannot be read is treated as a pin to nothing: refused, loudly,
 * rather than silently replaced.
 */
export class ControlPlaneKeyPin {
  readonly file: string;
  #key: KeyObject | null = null;
  #encoded: string | null = null;
  #unreadable = false;

  constructor(readonly dir: string) {
    this.file = join(dir, PIN_FILE);
  }

  /** The pinned public key, or null before the first registration (or when the pin is unreadable). */
  get key(): KeyObject | null {
    return this.#key;
  }

  /** `ed25519:<16 hex>` of the pinned key, or null. */
  get fingerprint(): string | null {
    return this.#encoded === null ? null : publicKeyFingerprint(this.#encoded);
  }

  get unreadable(): boolean {
    return this.#unreadable;
  }

  /** Reads the pin file, if any. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.#unreadable = true;
      return;
    }
    const parsed = PinFileSchema.safeParse(safeJson(text));
    const key = parsed.success ? decodePublicKey(parsed.data.publicKey) : null;
    if (!parsed.success || !key) {
      this.#unreadable = true;
      return;
    }
    this.#key = key;
    this.#encoded = parsed.data.publicKey;
  }

  /** Pins `publicKey` if nothing is pinned yet; says whether it is the pinned one. */
  async accept(publicKey: string): Promise<PinResult> {
    if (this.#unreadable) return 'mismatch';
    if (this.#encoded !== null) return this.#encoded === publicKey ? 'same' : 'mismatch';
    const key = decodePublicKey(publicKey);
    if (!key) return 'mismatch';
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(
      tmp,
      `${JSON.stringify({ algorithm: 'ed25519', publicKey, pinnedAt: new Date().toISOString() })}\n`,
      { mode: 0o600 },
    );
    await rename(tmp, this.file);
    this.#key = key;
    this.#encoded = publicKey;
    return 'pinned';
  }
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};
