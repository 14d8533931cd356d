import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { USAGE_SIGNATURE_FIELD, verifyUsageEvent } from '@portcullis/shared/usage-signing';
import { DataSource } from 'typeorm';
import { isUuid } from '../common/uuid';
import { SecretBox } from '../crypto/secret-box';
import { query, sql } from '../database/sql';
import type { Refusal } from './usage-event';

/**
 * Associated data of a gateway's sealed usage-signing secret (sealed by GatewaysService, opened here): a
 * ciphertext moved to another row or column fails.
 */
export const usageSecretAad = (gatewayId: string) => `gateway-usage-secret:${gatewayId}`;

interface Signer {
  orgId: string;
  secret: Buffer | null;
}

/**
 * Who wrote a usage event: an event counts only if it names a gateway (`gatewayId`) that
 * exists now (a removed gateway's row, and its secret, are gone), carries that gateway's HMAC over
 * the rest of the event (`sig`, see @portcullis/shared/usage-signing), and that gateway belongs to the
 * event's organization, whose stream it was read from. Gateways are looked up once per batch, so a
 * removal takes effect from the next batch on. Refusal reasons name fields, never values.
 */
@Injectable()
export class UsageSignatureVerifier {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly box: SecretBox,
  ) {}

  /** The gateways `events` name, with their secrets opened. */
  async signers(events: readonly Record<string, unknown>[]): Promise<Map<string, Signer>> {
    const ids = new Set<string>();
    for (const e of events) if (typeof e.gatewayId === 'string' && isUuid(e.gatewayId)) ids.add(e.gatewayId);
    const out = new Map<string, Signer>();
    if (ids.size === 0) return out;
    const rows: { id: string; org_id: string; usage_secret_sealed: string | null }[] = await query(
      this.db,
      sql`SELECT id, org_id, usage_secret_sealed FROM gateways WHERE id = ANY(${[...ids]}::uuid[])`,
    );
    for (const r of rows) {
      let secret: Buffer | null = null;
      if (r.usage_secret_sealed && this.box.available) {
        try {
          secret = Buffer.from(this.box.open(r.usage_secret_sealed, usageSecretAad(r.id)), 'base64url');
        } catch {
          secret = null; // sealed under another master key: nothing it signed can verify
        }
      }
      out.set(r.id, { orgId: r.org_id, secret });
    }
    return out;
  }

  /** Null when `event` is signed by a gateway of `streamOrg`, else why not. */
  check(event: Record<string, unknown>, streamOrg: string, signers: Map<string, Signer>): Refusal | null {
    if (typeof event[USAGE_SIGNATURE_FIELD] !== 'string')
      return { class: 'unsigned', reason: `no field ${USAGE_SIGNATURE_FIELD}` };
    const gatewayId = event.gatewayId;
    const signer = typeof gatewayId === 'string' ? signers.get(gatewayId) : undefined;
    if (!signer)
      return { class: 'unknown_gateway', reason: 'gatewayId names no gateway (unknown or removed)' };
    if (!signer.secret || !verifyUsageEvent(event, signer.secret))
      return {
        class: 'bad_signature',
        reason: `${USAGE_SIGNATURE_FIELD} does not verify under the gateway's secret`,
      };
    if (signer.orgId !== event.orgId)
      return { class: 'wrong_gateway_org', reason: "the gateway is not the event's organization's" };
    if (signer.orgId !== streamOrg)
      return { class: 'wrong_gateway_org', reason: "the event is in another organization's stream" };
    return null;
  }
}
