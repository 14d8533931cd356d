import { Inject, Injectable } from '@nestjs/common';
import { open, seal } from '@portcullis/shared/crypto';
import { DomainError } from '../common/errors/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/config';

/** The version written into every ciphertext sealed under PORTCULLIS_MASTER_KEY, so the key can rotate. */
export const MASTER_KEY_VERSION = 1;

/**
 * Seals and opens values under PORTCULLIS_MASTER_KEY (AES-256-GCM, the owning row's id as associated
 * data, so a ciphertext moved to another row fails to open). Without a master key, anything that needs
 * it answers 409 with the one thing to do.
 */
@Injectable()
export class SecretBox {
  private readonly key: Buffer | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = config.PORTCULLIS_MASTER_KEY;
  }

  get available(): boolean {
    return this.key !== null;
  }

  seal(plaintext: string, aad: string): string {
    return seal(this.require(), plaintext, MASTER_KEY_VERSION, aad);
  }

  open(sealed: string, aad: string): string {
    return open(this.require(), sealed, aad);
  }

  /** The master key, or the 409 that says how to configure it. */
  require(): Buffer {
    if (!this.key) {
      throw new DomainError(
        'conflict',
        'Set PORTCULLIS_MASTER_KEY on the control plane to store provider secrets and attach gateways',
      );
    }
    return this.key;
  }
}
