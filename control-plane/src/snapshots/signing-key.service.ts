import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  decodePrivateKey,
  encodePublicKey,
  publicKeyFingerprint,
  signBytes,
  signMessageText,
} from '@portcullis/shared/signing';
import { DataSource } from 'typeorm';
import { SecretBox } from '../crypto/secret-box';
import { query, sql } from '../database/sql';

/** Associated data of the sealed private key (a ciphertext copied into another column fails to open). */
const SIGNING_KEY_AAD = 'control-plane-signing-key';

interface SigningKey {
  privateKey: KeyObject;
  /** Raw public key, base64url: what gateways pin. */
  publicKey: string;
}

/**
 * The control plane's Ed25519 signing key: generated once (the first instance to need it inserts it;
 * concurrent instances agree on the row that won), kept in Postgres with the private half sealed under
 * PORTCULLIS_MASTER_KEY, and held in memory only as a KeyObject. It signs every full snapshot, delta and
 * heartbeat; gateways pin the public half when they register. Never logged, never sent, never in Redis.
 */
@Injectable()
export class SigningKeyService {
  private readonly logger = new Logger('SigningKey');
  private loading: Promise<SigningKey> | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly box: SecretBox,
  ) {}

  /** Whether messages can be signed (the master key is set); without it no gateway can attach anyway. */
  get available(): boolean {
    return this.box.available;
  }

  /** The key, loaded (or created) once per process. A failed load is retried on the next call. */
  key(): Promise<SigningKey> {
    if (!this.loading) {
      this.loading = this.load();
      this.loading.catch(() => {
        this.loading = null;
      });
    }
    return this.loading;
  }

  async publicKey(): Promise<string> {
    return (await this.key()).publicKey;
  }

  /** A pub/sub message (JSON object text) with the signature appended as its last field `sig`. */
  async signMessage(body: string): Promise<string> {
    return signMessageText((await this.key()).privateKey, body);
  }

  /** The signature of a full snapshot's exact bytes (sent in the X-Portcullis-Signature header). */
  async signSnapshot(body: string): Promise<string> {
    return signBytes((await this.key()).privateKey, 'full-snapshot', body);
  }

  private async load(): Promise<SigningKey> {
    this.box.require();
    let rows: { public_key: string; private_key_sealed: string }[] = await query(
      this.db,
      sql`SELECT public_key, private_key_sealed FROM control_plane_signing_keys WHERE id = 1`,
    );
    if (rows.length === 0) {
      const pair = generateKeyPairSync('ed25519');
      const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url');
      await query(
        this.db,
        sql`INSERT INTO control_plane_signing_keys (id, public_key, private_key_sealed)
            VALUES (1, ${encodePublicKey(pair.publicKey)}, ${this.box.seal(pkcs8, SIGNING_KEY_AAD)})
           ON CONFLICT (id) DO NOTHING`,
      );
      rows = await query(
        this.db,
        sql`SELECT public_key, private_key_sealed FROM control_plane_signing_keys WHERE id = 1`,
      );
    }
    const row = rows[0];
    if (!row) throw new Error('signing key: the row is missing after its creation');
    const privateKey = decodePrivateKey(this.box.open(row.private_key_sealed, SIGNING_KEY_AAD));
    if (encodePublicKey(createPublicKey(privateKey)) !== row.public_key)
      throw new Error("signing key: the stored public key is not the private key's");
    this.logger.log(`snapshot signing key ${publicKeyFingerprint(row.public_key)}`);
    return { privateKey, publicKey: row.public_key };
  }
}
