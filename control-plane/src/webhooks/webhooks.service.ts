import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PageQuery } from '@portcullis/shared/api/queries';
import {
  type CreateWebhookInput,
  WEBHOOK_EVENTS,
  WEBHOOK_SECRET_PREFIX,
  type WebhookCreated,
  type WebhookDeliveryView,
  type WebhookEventType,
  type WebhookView,
  webhookSecretPreview,
} from '@portcullis/shared/webhooks';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { timeKeyset, timePage } from '../common/keyset';
import type { Page } from '../common/pagination';
import type { OrgCaller } from '../common/request-context';
import { foundById } from '../common/uuid';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SecretBox } from '../crypto/secret-box';
import { execute, lockClause, query, queryOne, sql } from '../database/sql';
import { ChangeRecorder } from '../snapshots/change-recorder';
import {
  DELIVERY_COLUMNS,
  type DeliveryRow,
  deliveryView,
  WebhookDeliveries,
} from './webhook-deliveries.service';
import { webhookUrlIssue } from './webhook-sender';

interface WebhookRow {
  id: string;
  url: string;
  description: string | null;
  events: WebhookEventType[];
  secret_preview: string;
  created_at: Date;
}

const SELECT = sql`SELECT id, url, description, events, secret_preview, created_at FROM webhooks`;

const toView = (r: WebhookRow): WebhookView => ({
  id: r.id,
  url: r.url,
  description: r.description,
  events: r.events,
  secretPreview: r.secret_preview,
  createdAt: new Date(r.created_at).toISOString(),
});

/** 32 random bytes (256 bits) after a recognizable prefix, so secret scanners can find a leaked one. */
const newSecret = () => `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;

/**
 * Webhook endpoints, an organization-level resource for admins. The signing secret is generated here,
 * returned once by create, sealed under the master key (the webhook id as associated data) and
 * never returned, logged or audited again: only its preview.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly box: SecretBox,
    private readonly changes: ChangeRecorder,
    private readonly deliveries: WebhookDeliveries,
  ) {}

  async list(caller: OrgCaller, q: PageQuery): Promise<Page<WebhookView>> {
    const ks = timeKeyset(q, '>');
    const rows: WebhookRow[] = await query(
      this.db,
      sql`${SELECT} WHERE org_id = ${caller.org.orgId} AND ${ks.where}
          ORDER BY created_at, id LIMIT ${ks.limit}`,
    );
    return timePage(rows, q.limit, toView);
  }

  async get(caller: OrgCaller, id: string): Promise<WebhookView> {
    return toView(await this.find(this.db.manager, caller, id));
  }

  async create(caller: OrgCaller, input: CreateWebhookInput): Promise<WebhookCreated> {
    const issue = webhookUrlIssue(input.url, this.config.WEBHOOK_ALLOWLIST);
    if (issue) throw new DomainError('invalid_request', `Invalid body: url ${issue.message}`, [issue]);
    this.box.require();
    const id = randomUUID();
    const secret = newSecret();
    const events = input.events ?? [...WEBHOOK_EVENTS];
    const webhook = await this.db.transaction(async (em) => {
      const rows: WebhookRow[] = await query(
        em,
        sql`INSERT INTO webhooks (id, org_id, url, description, events, secret_sealed, secret_preview,
            created_by)
         VALUES (${id}, ${caller.org.orgId}, ${input.url},
           ${input.description === undefined || input.description === '' ? null : input.description},
           ${events}, ${this.box.seal(secret, id)}, ${webhookSecretPreview(secret)}, ${caller.actor.userId})
         RETURNING id, url, description, events, secret_preview, created_at`,
      );
      const view = toView(rows[0] as WebhookRow);
      await this.changes.record(em, caller, {
        action: 'webhook.created',
        targetType: 'webhook',
        targetId: id,
        before: null,
        after: view,
      });
      return view;
    });
    return { webhook, secret };
  }

  async remove(caller: OrgCaller, id: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const row = await this.find(em, caller, id, true);
      // Pending deliveries go with it (cascade); their queued jobs find nothing and end.
      await execute(em, sql`DELETE FROM webhooks WHERE org_id = ${caller.org.orgId} AND id = ${row.id}`);
      await this.changes.record(em, caller, {
        action: 'webhook.deleted',
        targetType: 'webhook',
        targetId: row.id,
        before: toView(row),
        after: null,
      });
    });
  }

  /** Queues a `webhook.test` delivery to this endpoint (whatever event types it subscribes to). */
  async test(caller: OrgCaller, id: string): Promise<{ delivery: WebhookDeliveryView }> {
    const delivery = await this.db.transaction(async (em) => {
      const row = await this.find(em, caller, id);
      const created = await this.deliveries.create(
        em,
        caller.org.orgId,
        'webhook.test',
        { webhookId: row.id, message: 'A test delivery from Portcullis' },
        row.id,
      );
      return created[0] as DeliveryRow;
    });
    // Not awaited: the answer never waits on Redis (enqueue logs its own failures; a sweep retries).
    void this.deliveries.enqueue([delivery.id]);
    return { delivery: deliveryView(delivery) };
  }

  /** The endpoint's deliveries, newest first. */
  async listDeliveries(caller: OrgCaller, id: string, q: PageQuery): Promise<Page<WebhookDeliveryView>> {
    const hook = await this.find(this.db.manager, caller, id);
    const ks = timeKeyset(q, '<');
    const rows: DeliveryRow[] = await query(
      this.db,
      sql`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
           WHERE org_id = ${caller.org.orgId} AND webhook_id = ${hook.id} AND ${ks.where}
           ORDER BY created_at DESC, id DESC LIMIT ${ks.limit}`,
    );
    return timePage(rows, q.limit, deliveryView);
  }

  private find(em: EntityManager, caller: OrgCaller, id: string, lock = false): Promise<WebhookRow> {
    return foundById('Webhook', id, () =>
      queryOne<WebhookRow>(
        em,
        sql`${SELECT} WHERE id = ${id} AND org_id = ${caller.org.orgId}${lockClause(lock)}`,
      ),
    );
  }
}
