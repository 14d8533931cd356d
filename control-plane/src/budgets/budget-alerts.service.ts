import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { BudgetThresholdData } from '@portcullis/shared/webhooks';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../common/request-context';
import { type PeriodSpend, SpendService } from '../usage/spend.service';
import { UsageIngestedEvents } from '../usage/usage-ingested.events';
import { WebhookDeliveries } from '../webhooks/webhook-deliveries.service';
import { evaluationTime, newlyCrossed } from './thresholds';

const SYSTEM: Actor = { type: 'system', userId: null, ip: null };

interface Due {
  keyId: string;
  spend: PeriodSpend;
  thresholds: number[];
}

/**
 * Budget alert thresholds (e.g. 50, 80, 100 % of a key's limit): after every committed ingest batch,
 * the batch's keys' settled spend is compared with their thresholds, and each threshold reached fires
 * once per key and budget period: a `budget.threshold` webhook delivery per subscribed endpoint and a
 * `budget.threshold_reached` audit record. "Once" is the unique (key, period, threshold) row in
 * `budget_alerts`, inserted in the same transaction as the deliveries and the audit record, so
 * concurrent batches, several control planes and restarts cannot fire it twice, and a crash cannot
 * record it without its deliveries.
 */
@Injectable()
export class BudgetAlerts implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly spend: SpendService,
    private readonly ingested: UsageIngestedEvents,
    private readonly deliveries: WebhookDeliveries,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.ingested.subscribe((orgId, keyIds) => this.check(orgId, keyIds));
  }

  async check(orgId: string, keyIds: string[], now: number = Date.now()): Promise<void> {
    const due = await this.due(orgId, keyIds, now);
    if (due.length === 0) return;
    const ids = await this.db.transaction(async (em) => {
      // The organization row first (the audit chain takes it too): concurrent checks of one
      // organization queue up here instead of deadlocking on each other's alert rows.
      await em.query('SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE', [orgId]);
      const keys: { id: string; name: string; owner_id: string }[] = await em.query(
        'SELECT id, name, owner_id FROM api_keys WHERE org_id = $1 AND id = ANY($2::uuid[])',
        [orgId, due.map((d) => d.keyId)],
      );
      const byId = new Map(keys.map((k) => [k.id, k]));
      const deliveryIds: string[] = [];
      for (const d of due) {
        const key = byId.get(d.keyId);
        if (!key) continue;
        for (const threshold of d.thresholds) {
          const fired: unknown[] = await em.query(
            `INSERT INTO budget_alerts (org_id, key_id, period, period_id, threshold, spent_usd, limit_usd)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (key_id, period_id, threshold) DO NOTHING RETURNING id`,
            [orgId, d.keyId, d.spend.period, d.spend.periodId, threshold, d.spend.spentUsd, d.spend.limitUsd],
          );
          if (fired.length === 0) continue;
          const data: BudgetThresholdData = {
            keyId: key.id,
            keyName: key.name,
            ownerId: key.owner_id,
            threshold,
            period: d.spend.period,
            periodStart: d.spend.periodStart.toISOString(),
            spentUsd: d.spend.spentUsd,
            limitUsd: d.spend.limitUsd,
          };
          const created = await this.deliveries.create(em, orgId, 'budget.threshold', data);
          deliveryIds.push(...created.map((c) => c.id));
          await this.audit.append(em, {
            orgId,
            actor: SYSTEM,
            action: 'budget.threshold_reached',
            targetType: 'api_key',
            targetId: key.id,
            before: null,
            after: { ...data, periodId: d.spend.periodId },
          });
        }
      }
      return deliveryIds;
    });
    await this.deliveries.enqueue(ids);
  }

  /** Keys with thresholds reached but not yet fired (read without locks; the insert decides). */
  private async due(orgId: string, keyIds: string[], now: number): Promise<Due[]> {
    if (keyIds.length === 0) return [];
    // Spend is dated by the events' times: evaluate the period the newest spend landed in.
    const latest: { key_id: string; day: string }[] = await this.db.query(
      `SELECT key_id, max(day)::text AS day FROM usage_key_spend
        WHERE org_id = $1 AND key_id = ANY($2::uuid[]) GROUP BY key_id`,
      [orgId, keyIds],
    );
    const dayOf = new Map(latest.map((r) => [r.key_id, r.day]));
    const byTime = new Map<number, string[]>();
    for (const id of new Set(keyIds)) {
      const t = evaluationTime(now, dayOf.get(id));
      byTime.set(t, [...(byTime.get(t) ?? []), id]);
    }
    const candidates: Due[] = [];
    for (const [t, ids] of byTime) {
      for (const [keyId, spend] of await this.spend.periodSpend(orgId, ids, t)) {
        const reached = newlyCrossed(spend.alertThresholds, spend.spentUsd, spend.limitUsd);
        if (reached.length > 0) candidates.push({ keyId, spend, thresholds: reached });
      }
    }
    if (candidates.length === 0) return [];
    const fired: { key_id: string; period_id: string; threshold: number }[] = await this.db.query(
      `SELECT key_id, period_id, threshold FROM budget_alerts
        WHERE key_id = ANY($1::uuid[]) AND period_id = ANY($2::text[])`,
      [candidates.map((c) => c.keyId), [...new Set(candidates.map((c) => c.spend.periodId))]],
    );
    const firedFor = new Map<string, Set<number>>();
    for (const f of fired) {
      const k = `${f.key_id}/${f.period_id}`;
      firedFor.set(k, (firedFor.get(k) ?? new Set()).add(Number(f.threshold)));
    }
    return candidates
      .map((c) => ({
        ...c,
        thresholds: newlyCrossed(
          c.spend.alertThresholds,
          c.spend.spentUsd,
          c.spend.limitUsd,
          firedFor.get(`${c.keyId}/${c.spend.periodId}`),
        ),
      }))
      .filter((c) => c.thresholds.length > 0);
  }
}
