import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { BudgetInput } from '@portcullis/shared/api-keys';
import type { PolicyBudget } from '@portcullis/shared/policy';
import { type BudgetPeriod, MICRO_USD, periodEnd, periodId, periodStart } from '@portcullis/shared/usage';
import { DataSource, type EntityManager } from 'typeorm';
import { bind, query, sql } from '../database/sql';

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
/** The last day bound of a window (lifetime: a far-future day instead of Infinity). */
const lastDay = (end: number) => day(Number.isFinite(end) ? end : Date.UTC(9999, 0, 1) - DAY_MS);

/** A user's or a group's budgets in one organization. */
export type SpendScopeType = 'user' | 'group';
export interface SpendScope {
  type: SpendScopeType;
  id: string;
}
export interface ScopePeriodSpend extends PeriodSpend {
  scope: SpendScopeType;
  scopeId: string;
}
/** `user:<id>` / `group:<id>`: the keys of `scopeSpend`'s answer (the gateways' counter scopes). */
export const scopeKey = (s: SpendScope) => `${s.type}:${s.id}`;

/**
 * Micro-USD of settled spend per window (same order as `windows`) for users and groups of `orgId`:
 * a user's is the spend of all their keys in the organization (deleted keys included), a group's the
 * sum over its current members. Whole UTC days over [start, end). One query; a plain function so the
 * snapshot builder can use it inside its transaction.
 */
export async function scopeSpendMicro(
  em: EntityManager,
  orgId: string,
  windows: { type: SpendScopeType; id: string; start: number; end: number }[],
): Promise<number[]> {
  if (windows.length === 0) return [];
  const org = bind(orgId);
  const rows: { i: string; micro: string }[] = await query(
    em,
    sql`SELECT w.i::text AS i,
        (SELECT coalesce(sum(s.cost_micro), 0) FROM usage_key_spend s
          WHERE s.org_id = ${org} AND s.day >= w.d_from AND s.day < w.d_to
            AND s.key_id IN (
              SELECT k.id FROM api_keys k
               WHERE k.org_id = ${org}
                 AND k.owner_id = ANY(CASE WHEN w.kind = 'user' THEN ARRAY[w.sid]
                   ELSE ARRAY(SELECT gm.user_id FROM group_members gm
                               WHERE gm.org_id = ${org} AND gm.group_id = w.sid) END)))::text AS micro
       FROM unnest(${windows.map((w) => w.type)}::text[], ${windows.map((w) => w.id)}::uuid[],
                   ${windows.map((w) => day(w.start))}::date[],
                       ${windows.map((w) => lastDay(w.end))}::date[])
            WITH ORDINALITY AS w(kind, sid, d_from, d_to, i)`,
  );
  const out = windows.map(() => 0);
  for (const r of rows) out[Number(r.i) - 1] = Number(r.micro);
  return out;
}

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
    const keys: { id: string; budget: BudgetInput | null }[] = await query(
      em,
      sql`SELECT id, budget FROM api_keys
        WHERE org_id = ${orgId} AND id = ANY(${[...new Set(keyIds)]}::uuid[]) AND deleted_at IS NULL
          AND budget IS NOT NULL`,
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
   * The current period's settled spend of each budget of the given users (members of `orgId`) and
   * groups (of `orgId`), by `scopeKey`; scopes without budgets (or not of the organization) are left
   * out. A user's spend is that of all their keys here, a group's that of its current members' keys.
   */
  async scopeSpend(
    orgId: string,
    scopes: SpendScope[],
    now: number = Date.now(),
    em: EntityManager = this.db.manager,
  ): Promise<Map<string, ScopePeriodSpend[]>> {
    const out = new Map<string, ScopePeriodSpend[]>();
    const users = [...new Set(scopes.filter((s) => s.type === 'user').map((s) => s.id))];
    const groups = [...new Set(scopes.filter((s) => s.type === 'group').map((s) => s.id))];
    if (users.length + groups.length === 0) return out;
    const org = bind(orgId);
    const rows: { type: SpendScopeType; id: string; budgets: PolicyBudget[] | null }[] = await query(
      em,
      sql`SELECT 'user' AS type, p.user_id AS id, p.budgets FROM user_policies p
            JOIN memberships m ON m.org_id = p.org_id AND m.user_id = p.user_id
           WHERE p.org_id = ${org} AND p.user_id = ANY(${users}::uuid[])
          UNION ALL
          SELECT 'group' AS type, g.id, g.budgets FROM groups g WHERE g.org_id = ${org}
            AND g.id = ANY(${groups}::uuid[])`,
    );
    const windows = rows.flatMap((r) =>
      (r.budgets ?? []).map((b) => ({
        type: r.type,
        id: r.id,
        budget: b,
        start: periodStart(b.period, now),
        end: periodEnd(b.period, now),
      })),
    );
    const micro = await scopeSpendMicro(em, orgId, windows);
    windows.forEach((w, i) => {
      const k = scopeKey(w);
      out.set(k, [
        ...(out.get(k) ?? []),
        {
          scope: w.type,
          scopeId: w.id,
          period: w.budget.period,
          periodId: periodId(w.budget.period, now),
          periodStart: new Date(w.start),
          spentUsd: (micro[i] ?? 0) / MICRO_USD,
          limitUsd: w.budget.limitUsd,
          alertThresholds: [...(w.budget.alertThresholds ?? [])],
        },
      ]);
    });
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
    const rows: { key_id: string; micro: string }[] = await query(
      em,
      sql`SELECT w.key_id, coalesce(sum(s.cost_micro), 0)::text AS micro
         FROM unnest(${windows.map((w) => w.keyId)}::uuid[], ${windows.map((w) => day(w.start))}::date[],
           ${windows.map((w) => lastDay(w.end))}::date[]) AS w(key_id, d_from, d_to)
         LEFT JOIN usage_key_spend s
           ON s.org_id = ${orgId} AND s.key_id = w.key_id AND s.day >= w.d_from AND s.day < w.d_to
        GROUP BY w.key_id`,
    );
    for (const r of rows) out.set(r.key_id, Number(r.micro));
    return out;
  }
}
