import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { KeyExpiredData } from '@portcullis/shared/webhooks';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { execute, query, sql } from '../database/sql';
import { JobsService } from '../jobs/jobs.service';
import { ChangeRecorder } from '../snapshots/change-recorder';
import { SnapshotsService } from '../snapshots/snapshots.service';
import { USAGE_QUEUE } from '../usage/usage-jobs';
import { WebhookDeliveries } from '../webhooks/webhook-deliveries.service';

/** Expired keys processed per sweep run. */
const EXPIRY_CHUNK = 500;

const SYSTEM_ACTOR = { type: 'system' as const, userId: null, ip: null };

/**
 * The key expiry sweep, every KEY_EXPIRY_SWEEP_INTERVAL_MS: keys whose expiry passed are audited
 * `key.expired`, pushed to gateways and announced to webhooks, once per expiry. Scheduled on the usage
 * housekeeping queue (USAGE_QUEUE). Idempotent.
 */
@Injectable()
export class KeyExpirySweep implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly jobs: JobsService,
    private readonly changes: ChangeRecorder,
    private readonly snapshots: SnapshotsService,
    private readonly deliveries: WebhookDeliveries,
  ) {}

  onModuleInit(): void {
    this.jobs.every(USAGE_QUEUE, 'expiry-sweep', this.config.KEY_EXPIRY_SWEEP_INTERVAL_MS, () =>
      this.expirySweep(),
    );
  }

  /** Keys whose expiry passed and was not yet processed: audit `key.expired`, push the key, mark it. */
  async expirySweep(): Promise<number> {
    const due: { id: string; org_id: string }[] = await query(
      this.db,
      sql`SELECT id, org_id FROM api_keys
        WHERE expires_at IS NOT NULL AND expires_at <= now() AND deleted_at IS NULL
          AND status <> 'revoked' AND expiry_processed_for IS DISTINCT FROM expires_at
        ORDER BY expires_at LIMIT ${EXPIRY_CHUNK}`,
    );
    let processed = 0;
    for (const key of due) {
      const done = await this.db.transaction(async (em) => {
        // Re-checked under the row lock: another sweep, an edit of the expiry or a revocation may
        // have come first.
        const rows: { expires_at: Date; name: string; owner_id: string }[] = await query(
          em,
          sql`SELECT expires_at, name, owner_id FROM api_keys
            WHERE id = ${key.id} AND expires_at IS NOT NULL AND expires_at <= now() AND deleted_at IS NULL
              AND status <> 'revoked' AND expiry_processed_for IS DISTINCT FROM expires_at
            FOR UPDATE`,
        );
        const row = rows[0];
        if (!row) return null;
        const expiresAt = new Date(row.expires_at).toISOString();
        await this.changes.record(
          em,
          { orgId: key.org_id, actor: SYSTEM_ACTOR },
          {
            action: 'key.expired',
            targetType: 'api_key',
            targetId: key.id,
            before: null,
            after: { status: 'expired', expiresAt },
          },
          [await this.snapshots.keyChange(em, key.org_id, key.id)],
        );
        await execute(em, sql`UPDATE api_keys SET expiry_processed_for = expires_at WHERE id = ${key.id}`);
        const data: KeyExpiredData = { keyId: key.id, keyName: row.name, ownerId: row.owner_id, expiresAt };
        return this.deliveries.create(em, key.org_id, 'key.expired', data);
      });
      if (done) {
        processed++;
        await this.deliveries.enqueue(done.map((d) => d.id));
      }
    }
    return processed;
  }
}
