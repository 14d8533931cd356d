import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { BudgetInput } from '@portcullis/shared/api-keys';
import { type BudgetPeriod, MICRO_USD, periodEnd, periodId, periodStart } from '@portcullis/shared/usage';
import { DataSource, type EntityManager } from 'typeorm';

export interface PeriodSpend {
  period: BudgetPeriod;
  /** `periodId(period, now)`: a stable name for the period (alert dedup, snapshot spend floor). */
  periodId: string;
  periodStart: Date;
  /** Settled spend of the key in this period, from the events' times (what the consumer committed). */
  spentUsd: number;
  limitUsd: number;
  alertThresholds: number[];
}

const DAY_MS = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Settled spend per key and budget period. The consumer adds every counted event's cost to
 * `usage_key_spend` (one row per key and UTC day of the event's time), so any calendar-aligned period
 * (daily, ISO-weekly, monthly, lifetime) is a sum over whole days, whatever period the budget has now.
 */
@Injectable()
export class SpendService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Only keys (of `orgId`, not deleted) that have a budget are in the answer. */
  async periodSpend(
    orgId: string,
    keyIds: string[],
    now: number = Date.now(),
    em: EntityManager = this.db.manager,
  ): Promise<Map<string, PeriodSpend>> {
    const out = new Map<string, PeriodSpend>();
    if (keyIds.length === 0) return out;
    const keys: { id: string; budget: BudgetInput | null }[] = await em.query(
      `SELECT id, budget FROM api_keys
        WHERE org_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL AND budget IS NOT NULL`,
      [orgId, [...new Set(keyIds)]],
    );
    if (keys.length === 0) return out;
    const windows = keys.flatMap((k) => {
      if (!k.budget) return [];
      const start = periodStart(k.budget.period, now);
      const end = periodEnd(k.budget.period, now);
      return [{ id: k.id, budget: k.budget, start, end }];
    });
    const sums = await this.sumMicro(
      em,
      orgId,
      windows.map((w) => ({ keyId: w.id, start: w.start, end: w.end })),
    );
    for (const w of windows) {
      out.set(w.id, {
        period: w.budget.period,
        periodId: periodId(w.budget.period, now),
        periodStart: new Date(w.start),
        spentUsd: (sums.get(w.id) ?? 0) / MICRO_USD,
        limitUsd: w.budget.limitUsd,
        alertThresholds: [...(w.budget.alertThresholds ?? [])],
      });
    }
    return out;
  }

  /**
   * Settled spend (USD) of each key's current budget period, for keys given with their budget; keys
   * without one are left out. For key views, inside the caller's transaction.
   */
  async currentSpendUsd(
    em: EntityManager,
    orgId: string,
    keys: { id: string; budget: BudgetInput | null }[],
    now: number = Date.now(),
  ): Promise<Map<string, number>> {
    const windows = keys.flatMap((k) =>
      k.budget
        ? [{ keyId: k.id, start: periodStart(k.budget.period, now), end: periodEnd(k.budget.period, now) }]
        : [],
    );
    const micro = await this.sumMicro(em, orgId, windows);
    return new Map([...micro].map(([id, m]) => [id, m / MICRO_USD]));
  }

  /** Micro-USD per key over [start, end) (whole UTC days; `end` may be Infinity). One query. */
  async sumMicro(
    em: EntityManager,
    orgId: string,
    windows: { keyId: string; start: number; end: number }[],
  ): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (windows.length === 0) return out;
    const rows: { key_id: string; micro: string }[] = await em.query(
      `SELECT w.key_id, coalesce(sum(s.cost_micro), 0)::text AS micro
         FROM unnest($2::uuid[], $3::date[], $4::date[]) AS w(key_id, d_from, d_to)
         LEFT JOIN usage_key_spend s
           ON s.org_id = $1 AND s.key_id = w.key_id AND s.day >= w.d_from AND s.day < w.d_to
        GROUP BY w.key_id`,
      [
        orgId,
        windows.map((w) => w.keyId),
        windows.map((w) => day(w.start)),
        // Lifetime: a far-future bound instead of Infinity.
        windows.map((w) => day(Number.isFinite(w.end) ? w.end : Date.UTC(9999, 0, 1) - DAY_MS)),
      ],
    );
    for (const r of rows) out.set(r.key_id, Number(r.micro));
    return out;
  }
}
