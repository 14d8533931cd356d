import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { BudgetThresholdData } from '@portcullis/shared/webhooks';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from '../common/request-context';
import { bind, query, sql } from '../database/sql';
import { ChangeRecorder } from '../snapshots/change-recorder';
import {
  type PeriodSpend,
  type ScopePeriodSpend,
  type SpendScope,
  type SpendScopeType,
  SpendService,
  scopeKey,
} from '../usage/spend.service';
import { UsageIngestedEvents } from '../usage/usage-ingested.events';
import { WebhookDeliveries } from '../webhooks/webhook-deliveries.service';
import { evaluationTime, newlyCrossed } from './thresholds';

const SYSTEM: Actor = { type: 'system', userId: null, ip: null };

/** The budget period fields every `budget.threshold` delivery carries. */
const spendFields = (s: PeriodSpend) => ({
  period: s.period,
  periodStart: s.periodStart.toISOString(),
  spentUsd: s.spentUsd,
  limitUsd: s.limitUsd,
});

interface Due {
  keyId: string;
  spend: PeriodSpend;
  thresholds: number[];
}

interface ScopeDue {
  spend: ScopePeriodSpend;
  thresholds: number[];
}

/**
 * The candidates left with thresholds reached and not yet fired; `fired` rows and candidates are matched
 * by name (the alert's scope and period).
 */
function notYetFired<C extends { spend: PeriodSpend; thresholds: number[] }, F extends { threshold: number }>(
  candidates: C[],
  fired: F[],
  nameOfFired: (f: F) => string,
  nameOf: (c: C) => string,
): C[] {
  const firedFor = new Map<string, Set<number>>();
  for (const f of fired) {
    const k = nameOfFired(f);
    firedFor.set(k, (firedFor.get(k) ?? new Set()).add(Number(f.threshold)));
  }
  return candidates
    .map((c) => ({
      ...c,
      thresholds: newlyCrossed(
        c.spend.alertThresholds,
        c.spend.spentUsd,
        c.spend.limitUsd,
        firedFor.get(nameOf(c)),
      ),
    }))
    .filter((c) => c.thresholds.length > 0);
}

/** `data` of a `budget.threshold` delivery for a user's or a group's budget. */
export type ScopeBudgetThresholdData = (
  | { scope: 'user'; userId: string; groupId?: never }
  | { scope: 'group'; groupId: string; userId?: never }
) & {
  name: string;
  threshold: number;
  period: string;
  periodStart: string;
  spentUsd: number;
  limitUsd: number;
};

/**
 * Budget alert thresholds (e.g. 50, 80, 100 % of a key's limit): after every committed ingest batch,
 * the batch's keys' settled spend is compared with their thresholds, and each threshold reached fires
 * once per key and budget period: a `budget.threshold` webhook delivery per subscribed endpoint and a
 * `budget.threshold_reached` audit record. "Once" is the unique (key, period, threshold) row in
 * `budget_alerts`, inserted in the same transaction as the deliveries and the audit record, so
 * concurrent batches, several control planes and restarts cannot fire it twice, and a crash cannot
 * record it without its deliveries.
 *
 * User and group budgets alike: after a batch, the budgets of the owners of the batch's keys and of
 * their groups are checked (a user's spend is all their keys', a group's its members'), and each
 * threshold fires once per (organization, scope, id, period): data `{scope: 'user'|'group', userId |
 * groupId, name, threshold, period, periodStart, spentUsd, limitUsd}`.
 */
@Injectable()
export class BudgetAlerts implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly spend: SpendService,
    private readonly ingested: UsageIngestedEvents,
    private readonly deliveries: WebhookDeliveries,
    private readonly changes: ChangeRecorder,
  ) {}

  onModuleInit(): void {
    this.ingested.subscribe((orgId, keyIds) => this.check(orgId, keyIds));
  }

  async check(orgId: string, keyIds: string[], now: number = Date.now()): Promise<void> {
    if (keyIds.length === 0) return;
    const latest = await this.latestDays(orgId, keyIds);
    const due = await this.due(orgId, keyIds, now, latest);
    const scopeDue = await this.scopeDue(orgId, keyIds, now, latest);
    if (due.length === 0 && scopeDue.length === 0) return;
    const ids = await this.db.transaction(async (em) => {
      // The organization row first (the audit chain takes it too): concurrent checks of one
      // organization queue up here instead of deadlocking on each other's alert rows.
      await query(em, sql`SELECT 1 FROM organizations WHERE id = ${orgId} FOR UPDATE`);
      const keys: { id: string; name: string; owner_id: string }[] = await query(
        em,
        sql`SELECT id, name, owner_id FROM api_keys WHERE org_id = ${orgId}
            AND id = ANY(${due.map((d) => d.keyId)}::uuid[])`,
      );
      const byId = new Map(keys.map((k) => [k.id, k]));
      const deliveryIds: string[] = [];
      for (const d of due) {
        const key = byId.get(d.keyId);
        if (!key) continue;
        for (const threshold of d.thresholds) {
          const keyId = bind(d.keyId);
          const fired: unknown[] = await query(
            em,
            sql`INSERT INTO budget_alerts
                  (org_id, scope, scope_id, key_id, period, period_id, threshold, spent_usd, limit_usd)
                VALUES (${orgId}, 'key', ${keyId}, ${keyId}, ${d.spend.period}, ${d.spend.periodId},
                  ${threshold},
                        ${d.spend.spentUsd}, ${d.spend.limitUsd})
                ON CONFLICT (org_id, scope, scope_id, period_id, threshold) DO NOTHING RETURNING id`,
          );
          if (fired.length === 0) continue;
          const data: BudgetThresholdData = {
            keyId: key.id,
            keyName: key.name,
            ownerId: key.owner_id,
            threshold,
            ...spendFields(d.spend),
          };
          deliveryIds.push(...(await this.announce(em, orgId, 'api_key', key.id, data, d.spend.periodId)));
        }
      }
      deliveryIds.push(...(await this.fireScopes(em, orgId, scopeDue)));
      return deliveryIds;
    });
    await this.deliveries.enqueue(ids);
  }

  /** User and group alerts (inside `check`'s transaction): the delivery ids created. */
  private async fireScopes(em: EntityManager, orgId: string, due: ScopeDue[]): Promise<string[]> {
    if (due.length === 0) return [];
    const names: { type: string; id: string; name: string }[] = await query(
      em,
      sql`SELECT 'user' AS type, u.id, coalesce(nullif(u.name, ''), u.email) AS name FROM users u
        WHERE u.id = ANY(${due.filter((d) => d.spend.scope === 'user').map((d) => d.spend.scopeId)}::uuid[])
       UNION ALL
       SELECT 'group' AS type, g.id, g.name FROM groups g WHERE g.org_id = ${orgId}
         AND g.id = ANY(${due.filter((d) => d.spend.scope === 'group').map((d) => d.spend.scopeId)}::uuid[])`,
    );
    const nameOf = new Map(names.map((n) => [`${n.type}:${n.id}`, n.name]));
    const deliveryIds: string[] = [];
    for (const d of due) {
      const { scope, scopeId } = d.spend;
      const name = nameOf.get(`${scope}:${scopeId}`);
      // A group deleted meanwhile has no budget left to alert on.
      if (name === undefined) continue;
      for (const threshold of d.thresholds) {
        const fired: unknown[] = await query(
          em,
          sql`INSERT INTO budget_alerts
             (org_id, scope, scope_id, user_id, group_id, period, period_id, threshold, spent_usd,
               limit_usd)
           VALUES (${orgId}, ${scope}, ${scopeId}, ${scope === 'user' ? scopeId : null},
             ${scope === 'group' ? scopeId : null}, ${d.spend.period}, ${d.spend.periodId}, ${threshold},
             ${d.spend.spentUsd}, ${d.spend.limitUsd})
           ON CONFLICT (org_id, scope, scope_id, period_id, threshold) DO NOTHING RETURNING id`,
        );
        if (fired.length === 0) continue;
        const data: ScopeBudgetThresholdData = {
          ...(scope === 'user' ? { scope, userId: scopeId } : { scope, groupId: scopeId }),
          name,
          threshold,
          ...spendFields(d.spend),
        };
        deliveryIds.push(...(await this.announce(em, orgId, scope, scopeId, data, d.spend.periodId)));
      }
    }
    return deliveryIds;
  }

  /** A threshold just reached: its webhook deliveries (their ids answered) and its audit record. */
  private async announce(
    em: EntityManager,
    orgId: string,
    targetType: 'api_key' | SpendScopeType,
    targetId: string,
    data: BudgetThresholdData | ScopeBudgetThresholdData,
    periodId: string,
  ): Promise<string[]> {
    const created = await this.deliveries.create(em, orgId, 'budget.threshold', data);
    await this.changes.record(
      em,
      { orgId, actor: SYSTEM },
      {
        action: 'budget.threshold_reached',
        targetType,
        targetId,
        before: null,
        after: { ...data, periodId },
      },
    );
    return created.map((c) => c.id);
  }

  /** The newest day each key has settled spend in (`YYYY-MM-DD`). */
  private async latestDays(orgId: string, keyIds: string[]): Promise<Map<string, string>> {
    const latest: { key_id: string; day: string }[] = await query(
      this.db,
      sql`SELECT key_id, max(day)::text AS day FROM usage_key_spend
        WHERE org_id = ${orgId} AND key_id = ANY(${[...new Set(keyIds)]}::uuid[]) GROUP BY key_id`,
    );
    return new Map(latest.map((r) => [r.key_id, r.day]));
  }

  /**
   * Budgets of the batch keys' owners and of their groups with thresholds reached but not yet fired.
   * Each scope is evaluated in the period the newest spend of its batch keys landed in (as keys are).
   */
  private async scopeDue(
    orgId: string,
    keyIds: string[],
    now: number,
    latest: Map<string, string>,
  ): Promise<ScopeDue[]> {
    const owners: { id: string; owner_id: string }[] = await query(
      this.db,
      sql`SELECT id, owner_id FROM api_keys WHERE org_id = ${orgId}
          AND id = ANY(${[...new Set(keyIds)]}::uuid[])`,
    );
    if (owners.length === 0) return [];
    const memberOf: { group_id: string; user_id: string }[] = await query(
      this.db,
      sql`SELECT group_id, user_id FROM group_members WHERE org_id = ${orgId}
          AND user_id = ANY(${[...new Set(owners.map((o) => o.owner_id))]}::uuid[])`,
    );
    // The newest spend day per scope, over the batch's keys it covers.
    const dayOf = new Map<string, { scope: SpendScope; day: string | undefined }>();
    const see = (scope: SpendScope, day: string | undefined) => {
      const k = scopeKey(scope);
      const cur = dayOf.get(k);
      if (!cur) dayOf.set(k, { scope, day });
      else if (day && (!cur.day || day > cur.day)) cur.day = day;
    };
    for (const o of owners) {
      const day = latest.get(o.id);
      see({ type: 'user', id: o.owner_id }, day);
      for (const m of memberOf) if (m.user_id === o.owner_id) see({ type: 'group', id: m.group_id }, day);
    }
    const byTime = new Map<number, SpendScope[]>();
    for (const { scope, day } of dayOf.values()) {
      const t = evaluationTime(now, day);
      byTime.set(t, [...(byTime.get(t) ?? []), scope]);
    }
    const candidates: ScopeDue[] = [];
    for (const [t, scopes] of byTime) {
      for (const spends of (await this.spend.scopeSpend(orgId, scopes, t)).values()) {
        for (const spend of spends) {
          const reached = newlyCrossed(spend.alertThresholds, spend.spentUsd, spend.limitUsd);
          if (reached.length > 0) candidates.push({ spend, thresholds: reached });
        }
      }
    }
    if (candidates.length === 0) return [];
    const fired: { scope: string; scope_id: string; period_id: string; threshold: number }[] = await query(
      this.db,
      sql`SELECT scope, scope_id, period_id, threshold FROM budget_alerts
          WHERE org_id = ${orgId} AND scope IN ('user', 'group')
            AND scope_id = ANY(${[...new Set(candidates.map((c) => c.spend.scopeId))]}::uuid[])
            AND period_id = ANY(${[...new Set(candidates.map((c) => c.spend.periodId))]}::text[])`,
    );
    return notYetFired(
      candidates,
      fired,
      (f) => `${f.scope}:${f.scope_id}/${f.period_id}`,
      (c) => `${c.spend.scope}:${c.spend.scopeId}/${c.spend.periodId}`,
    );
  }

  /** Keys with thresholds reached but not yet fired (read without locks; the insert decides). */
  private async due(
    orgId: string,
    keyIds: string[],
    now: number,
    dayOf: Map<string, string>,
  ): Promise<Due[]> {
    if (keyIds.length === 0) return [];
    // Spend is dated by the events' times: evaluate the period the newest spend landed in.
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
    const fired: { key_id: string; period_id: string; threshold: number }[] = await query(
      this.db,
      sql`SELECT key_id, period_id, threshold FROM budget_alerts
        WHERE key_id = ANY(${candidates.map((c) => c.keyId)}::uuid[])
          AND period_id = ANY(${[...new Set(candidates.map((c) => c.spend.periodId))]}::text[])`,
    );
    return notYetFired(
      candidates,
      fired,
      (f) => `${f.key_id}/${f.period_id}`,
      (c) => `${c.keyId}/${c.spend.periodId}`,
    );
  }
}
