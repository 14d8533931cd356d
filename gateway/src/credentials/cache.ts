import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deriveKey, open, seal } from '@portcullis/shared/crypto';
import { type GatewayCredentials, GatewayCredentialsSchema } from '@portcullis/shared/gateway-credentials';
import { z } from 'zod';

/** What the gateway keeps of its registration answer: who it is, and its own credentials. */
export interface GatewayIdentity extends GatewayCredentials {
  gatewayId: string;
  orgId: string;
}

const PURPOSE = 'portcullis-gateway-credentials';
const AAD = 'gateway-credentials';
const FileSchema = z.object({ format: z.literal(1), sealed: z.string() });
const IdentitySchema = GatewayCredentialsSchema.extend({ gatewayId: z.uuid(), orgId: z.uuid() });

/**
 * `<GATEWAY_STATE_DIR>/credentials.json`: the gateway's usage signing secret and Redis user, sealed
 * (AES-256-GCM) under a key derived from the gateway token, as the snapshot key is in the disk cache.
 * So a gateway restarted while the control plane is down still signs its events and reaches Redis,
 * and the file alone (a copied state dir, a backup) gives nothing without the token.
 */
export class CredentialsCache {
  readonly file: string;
  readonly #key: Buffer;

  constructor(
    readonly dir: string,
    gatewayToken: string,
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {
    this.file = join(dir, 'credentials.json');
    this.#key = deriveKey(gatewayToken, PURPOSE);
  }

  /** Null when there is none, or it is unreadable or sealed under another gateway token. */
  async load(): Promise<GatewayIdentity | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return null;
    }
    try {
      const file = FileSchema.parse(JSON.parse(text));
      return IdentitySchema.parse(JSON.parse(open(this.#key, file.sealed, AAD)));
    } catch (err) {
      this.log(`gateway: ignoring unreadable credentials ${this.file} (${(err as Error).name})`);
      return null;
    }
  }

  /** Replaces the file atomically (temp file + rename), readable by the gateway's user only. */
  async save(identity: GatewayIdentity): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const body = JSON.stringify({ format: 1, sealed: seal(this.#key, JSON.stringify(identity), 1, AAD) });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, body, { mode: 0o600 });
    await rename(tmp, this.file);
  }
}
