import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  type DeliveryStatus,
  signWebhook,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  type WebhookDeliveryAttempt,
  type WebhookDeliveryView,
  type WebhookEventType,
  type WebhookPayload,
} from '@portcullis/shared/webhooks';
import { DelayedError, type Job } from 'bullmq';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SecretBox } from '../crypto/secret-box';
import { bind, query, rawSql, sql } from '../database/sql';
import { JobsService } from '../jobs/jobs.service';
import { checkWebhookUrl, postWebhook, type SendResult } from './webhook-sender';

export const WEBHOOK_DELIVERY_QUEUE = 'webhook-deliveries';
const MAINTENANCE_QUEUE = 'webhook-maintenance';
/** Pending deliveries untouched this long are handed to the queue again (idempotent by job id). */
const SWEEP_EVERY_MS = 30_000;
const SWEEP_BATCH = 200;
/** Enqueueing never holds up an API call or an ingest batch for longer than this. */
const ENQUEUE_TIMEOUT_MS = 2000;
const CONCURRENCY = 8;

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  type: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  attempt_log: WebhookDeliveryAttempt[];
  created_at: Date;
  delivered_at: Date | null;
}

export const DELIVERY_COLUMNS = rawSql(
  'id, webhook_id, type, status, attempts, last_status_code, last_error, attempt_log, created_at, delivered_at',
);

export const deliveryView = (r: DeliveryRow): WebhookDeliveryView => ({
  id: r.id,
  webhookId: r.webhook_id,
  type: r.type,
  status: r.status,
  attempts: r.attempts,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  createdAt: new Date(r.created_at).toISOString(),
  deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
  attemptLog: r.attempt_log,
});

interface SendRow {
  id: string;
  org_id: string;
  status: DeliveryStatus;
  attempts: number;
  body: string;
  webhook_id: string;
  url: string;
  secret_sealed: string;
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
};

/**
 * Webhook deliveries: rows in `webhook_deliveries` are the truth (status, attempts, the exact body),
 * BullMQ only carries "try this delivery now / at time t" (job id = delivery id, so enqueueing twice is
 * harmless). Deliveries are created inside the caller's transaction and enqueued after its commit; if
 * Redis is down then, a sweep hands pending rows to the queue again later. Each attempt is signed afresh
 * (`t` = the attempt's time) over the stored body and recorded; a failure schedules the next attempt
 * WEBHOOK_BACKOFF_MS × 2^(n−1) later, until WEBHOOK_MAX_ATTEMPTS. Delayed jobs live in Redis, so a
 * control-plane restart loses none. Delivery is at least once: receivers dedupe by delivery id.
 */
@Injectable()
export class WebhookDeliveries implements OnModuleInit {
  private readonly logger = new Logger('Webhooks');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly box: SecretBox,
    private readonly jobs: JobsService,
  ) {}

  onModuleInit(): void {
    this.jobs.process(WEBHOOK_DELIVERY_QUEUE, (job) => this.run(job), { concurrency: CONCURRENCY });
    this.jobs.every(MAINTENANCE_QUEUE, 'sweep-pending', SWEEP_EVERY_MS, () => this.sweep());
  }

  /**
   * Inside the caller's transaction: one pending delivery of `type` per webhook of the organization
   * that subscribes to it (or just `webhookId`'s, whatever it subscribes to: a test delivery). Call
   * `enqueue` with the ids once the transaction has committed.
   */
  async create(
    em: EntityManager,
    orgId: string,
    type: WebhookEventType,
    data: unknown,
    webhookId?: string,
  ): Promise<DeliveryRow[]> {
    const hooks: { id: string }[] = webhookId
      ? await query(em, sql`SELECT id FROM webhooks WHERE org_id = ${orgId} AND id = ${webhookId}`)
      : await query(
          em,
          sql`SELECT id FROM webhooks WHERE org_id = ${orgId} AND ${type} = ANY(events) ORDER BY id`,
        );
    const out: DeliveryRow[] = [];
    for (const hook of hooks) {
      const id = randomUUID();
      const createdAt = new Date().toISOString();
      const payload: WebhookPayload = { id, type, createdAt, data };
      const at = bind(createdAt);
      const rows: DeliveryRow[] = await query(
        em,
        sql`INSERT INTO webhook_deliveries (id, org_id, webhook_id, type, body, created_at, updated_at)
            VALUES (${id}, ${orgId}, ${hook.id}, ${type}, ${JSON.stringify(payload)}, ${at}, ${at})
            RETURNING ${DELIVERY_COLUMNS}`,
      );
      out.push(rows[0] as DeliveryRow);
    }
    return out;
  }

  /** Hands deliveries to the queue; never throws and never waits long (the sweep retries what fails). */
  async enqueue(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await withTimeout(
        this.jobs.queue(WEBHOOK_DELIVERY_QUEUE).addBulk(
          ids.map((id) => ({
            name: 'deliver',
            data: { deliveryId: id },
            opts: { jobId: id, removeOnComplete: true, removeOnFail: { count: 500 } },
          })),
        ),
        ENQUEUE_TIMEOUT_MS,
      );
    } catch (err) {
      this.logger.warn(`${ids.length} webhook deliveries wait for the next sweep: ${(err as Error).message}`);
    }
  }

  /** One attempt of one delivery; a failure short of the last attempt re-schedules the same job. */
  private async run(job: Job): Promise<void> {
    const deliveryId = (job.data as { deliveryId?: unknown }).deliveryId;
    if (typeof deliveryId !== 'string') return;
    const attempts = await this.attempt(deliveryId);
    if (attempts === null) return;
    const delay = this.backoffMs(attempts);
    await job.moveToDelayed(Date.now() + delay, job.token);
    // Tells BullMQ the job was re-scheduled by hand: not a failure, and no automatic retry.
    throw new DelayedError();
  }

  /** WEBHOOK_BACKOFF_MS × 2^(n−1) after the n-th failed attempt, plus up to 10 % jitter. */
  backoffMs(failedAttempts: number): number {
    const base = this.config.WEBHOOK_BACKOFF_MS * 2 ** Math.max(0, failedAttempts - 1);
    return Math.round(base * (1 + Math.random() * 0.1));
  }

  /**
   * Sends a pending delivery once and records the attempt. Returns the number of attempts made so far
   * when another one is due, null when the delivery is finished (succeeded, failed for good, or gone
   * with its webhook).
   */
  async attempt(deliveryId: string): Promise<number | null> {
    const rows: SendRow[] = await query(
      this.db,
      sql`SELECT d.id, d.org_id, d.status, d.attempts, d.body, w.id AS webhook_id, w.url, w.secret_sealed
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.org_id = d.org_id
        WHERE d.id = ${deliveryId}`,
    );
    const row = rows[0];
    if (row?.status !== 'pending') return null;

    let result: SendResult;
    let retryable = true;
    // The allowlist may have changed since the URL was stored: check again at send time.
    const check = checkWebhookUrl(row.url, this.config.WEBHOOK_ALLOWLIST);
    if (!check.ok) {
      result = { statusCode: null, error: `url ${check.reason}`, durationMs: 0 };
      retryable = false;
    } else {
      let secret: string | null = null;
      try {
        secret = this.box.open(row.secret_sealed, row.webhook_id);
      } catch {
        secret = null;
      }
      if (secret === null) {
        result = {
          statusCode: null,
          error: 'the signing secret cannot be opened (is PORTCULLIS_MASTER_KEY the one it was stored with?)',
          durationMs: 0,
        };
      } else {
        const t = Math.floor(Date.now() / 1000);
        result = await postWebhook(
          check.url,
          row.body,
          {
            'content-type': 'application/json',
            'user-agent': 'Portcullis-Webhooks/1',
            [WEBHOOK_ID_HEADER]: row.id,
            [WEBHOOK_SIGNATURE_HEADER]: signWebhook(secret, row.body, t),
          },
          { timeoutMs: this.config.WEBHOOK_TIMEOUT_MS, allowlist: this.config.WEBHOOK_ALLOWLIST },
        );
      }
    }

    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const attempts = row.attempts + 1;
    const status: DeliveryStatus = ok
      ? 'succeeded'
      : !retryable || attempts >= this.config.WEBHOOK_MAX_ATTEMPTS
        ? 'failed'
        : 'pending';
    const entry: WebhookDeliveryAttempt = {
      at: new Date().toISOString(),
      statusCode: result.statusCode,
      error: result.error,
      durationMs: result.durationMs,
    };
    const to = bind(status);
    const updated: unknown[] = await query(
      this.db,
      sql`UPDATE webhook_deliveries
             SET attempts = attempts + 1, status = ${to}, last_status_code = ${result.statusCode},
                 last_error = ${result.error},
                   attempt_log = attempt_log || ${JSON.stringify([entry])}::jsonb,
                 updated_at = date_trunc('milliseconds', now()),
                 delivered_at = CASE WHEN ${to} = 'succeeded' THEN date_trunc('milliseconds', now()) END
           WHERE id = ${row.id} AND status = 'pending' AND attempts = ${row.attempts}
           RETURNING id`,
    );
    // Another worker recorded an attempt meanwhile (a duplicate job): that one owns the schedule.
    if (updated.length === 0) return null;
    return status === 'pending' ? attempts : null;
  }

  /** Hands pending deliveries nobody touched lately back to the queue (Redis was down, a job was lost). */
  async sweep(): Promise<void> {
    const rows: { id: string }[] = await query(
      this.db,
      sql`SELECT id FROM webhook_deliveries
           WHERE status = 'pending' AND updated_at < now() - interval '30 seconds'
           ORDER BY created_at LIMIT ${SWEEP_BATCH}`,
    );
    const queue = this.jobs.queue(WEBHOOK_DELIVERY_QUEUE);
    const lost: string[] = [];
    for (const { id } of rows) {
      const job = await queue.getJob(id);
      if (!job) {
        lost.push(id);
        continue;
      }
      const state = await job.getState();
      if (state === 'failed' || state === 'completed') {
        await job.remove();
        lost.push(id);
      }
    }
    if (lost.length > 0) {
      this.logger.warn(`re-enqueueing ${lost.length} pending webhook deliveries`);
      await this.enqueue(lost);
    }
  }
}
