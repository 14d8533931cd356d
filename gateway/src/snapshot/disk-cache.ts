import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deriveKey, open, seal } from '@portcullis/shared/crypto';
import { type OrgSnapshot, OrgSnapshotSchema } from '@portcullis/shared/snapshot';
import { z } from 'zod';

/**
 * The last good snapshot on disk, so a gateway restarted while the control plane and Redis are down
 * still serves (fail-static). The snapshot key that opens provider secrets is stored sealed under a
 * key derived from the gateway token; the file is replaced atomically (temp file + rename).
 */
const CACHE_PURPOSE = 'portcullis-gateway-cache';
const KEY_AAD = 'snapshot-key';

const CacheFileSchema = z.object({
  format: z.literal(1),
  savedAt: z.string(),
  sealedSnapshotKey: z.string(),
  snapshot: OrgSnapshotSchema,
});

export interface CachedState {
  snapshot: OrgSnapshot;
  snapshotKey: Buffer;
}

export class DiskCache {
  readonly file: string;
  readonly #wrapKey: Buffer;

  constructor(
    readonly dir: string,
    gatewayToken: string,
  ) {
    this.file = join(dir, 'snapshot.json');
    this.#wrapKey = deriveKey(gatewayToken, CACHE_PURPOSE);
  }

  /** Null when there is no cache, or it is unreadable or was written under another gateway token. */
  async load(): Promise<CachedState | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return null;
    }
    try {
      const parsed = CacheFileSchema.parse(JSON.parse(text));
      const snapshotKey = Buffer.from(open(this.#wrapKey, parsed.sealedSnapshotKey, KEY_AAD), 'base64url');
      if (snapshotKey.length !== 32) return null;
      return { snapshot: parsed.snapshot, snapshotKey };
    } catch (err) {
      console.error(`gateway: ignoring unreadable snapshot cache ${this.file} (${(err as Error).name})`);
      return null;
    }
  }

  async save(snapshot: OrgSnapshot, snapshotKey: Buffer): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const body = JSON.stringify({
      format: 1,
      savedAt: new Date().toISOString(),
      sealedSnapshotKey: seal(this.#wrapKey, snapshotKey.toString('base64url'), 1, KEY_AAD),
      snapshot,
    });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, body, { mode: 0o600 });
      await rename(tmp, this.file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
