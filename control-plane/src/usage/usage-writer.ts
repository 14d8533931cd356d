import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { USAGE_TOKEN_FIELDS, type UsageEvent, usdToMicro } from '@portcullis/shared/usage';
import { DataSource, type EntityManager } from 'typeorm';
import { execute, query, sql } from '../database/sql';
import type { Refusal } from './usage-event';

/**
 * Advisory lock between ingestion (shared, held by every batch transaction) and the rollup job
 * (exclusive, for an instant): once the rollup job holds it, every `usage_requests.seq` handed out so
 * far belongs to a committed (or rolled-back) row, so a watermark on `seq` never skips a late commit.
 */
export const USAGE_INGEST_LOCK = 0x50_43_55_53; // 'PCUS'

/**
 * How far above its tokens at the model's current price an event's cost may be. Prices are not kept
 * per request: the slack lets a price cut land while events at the old price are still in flight (or
 * in a gateway's spool) without refusing them; a cost beyond it is no honest gateway's arithmetic.
 */
export const PRICE_SLACK = 10;
/**
 * An event's time is the gateway's clock, an owner change's the control plane's, and a gateway learns
 * of a change a few milliseconds after it: an event this close after a transfer may name either owner.
 */
const OWNER_CHANGE_GRACE_S = 300;

export interface RefusedEvent extends Refusal {
  event: UsageEvent;
}

export interface WriteResult {
  /** Events written for the first time (a redelivered event is not among them). */
  inserted: number;
  /** Duplicates of events already stored (or twice in the batch). */
  duplicates: number;
  /** Events not stored: no such key, another organization's key, not its owner, an implausible cost. */
  refused: RefusedEvent[];
  /** Organization → keys that got new usage. */
  byOrg: Map<string, string[]>;
}

export const emptyWriteResult = (): WriteResult => ({
  inserted: 0,
  duplicates: 0,
  refused: [],
  byOrg: new Map(),
});

/** Adds `b` into `a` (a batch written one event at a time). */
export function mergeWriteResults(a: WriteResult, b: WriteResult): void {
  a.inserted += b.inserted;
  a.duplicates += b.duplicates;
  a.refused.push(...b.refused);
  for (const [org, keys] of b.byOrg) a.byOrg.set(org, [...new Set([...(a.byOrg.get(org) ?? []), ...keys])]);
}

const day = (iso: string) => new Date(iso).toISOString().slice(0, 10);

/** Writes batches of validated usage events to Postgres, idempotently, in one transaction per batch. */
@Injectable()
export class UsageWriter {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** `beforeCommit` runs inside the transaction after the writes (a test hook for crash tests). */
  write(events: UsageEvent[], beforeCommit?: () => void): Promise<WriteResult> {
    if (events.length === 0) return Promise.resolve(emptyWriteResult());
    return this.db.transaction((em) => this.writeIn(em, events, beforeCommit));
  }

  private async writeIn(
    em: EntityManager,
    events: UsageEvent[],
    beforeCommit?: () => void,
  ): Promise<WriteResult> {
    const result = emptyWriteResult();
    if (events.length === 0) return result;
    await query(em, sql`SELECT pg_advisory_xact_lock_shared(${USAGE_INGEST_LOCK})`);

    // The keys' rows, locked in id order (two consumers never wait on each other in a cycle): the
    // counters below are updated under these locks.
    const keyIds = [...new Set(events.map((e) => e.keyId))].sort();
    const keys: { id: string; org_id: string; owner_id: string }[] = await query(
      em,
      sql`SELECT id, org_id, owner_id FROM api_keys WHERE id = ANY(${keyIds}::uuid[])
          ORDER BY id FOR NO KEY UPDATE`,
    );
    const keyOf = new Map(keys.map((k) => [k.id, k]));
    const checked: UsageEvent[] = [];
    const formerOwner: UsageEvent[] = [];
    for (const e of events) {
      const k = keyOf.get(e.keyId);
      if (!k) result.refused.push({ event: e, class: 'unknown_key', reason: 'keyId is no key' });
      else if (k.org_id !== e.orgId)
        result.refused.push({ event: e, class: 'wrong_org', reason: "keyId is not a key of orgId's" });
      else if (k.owner_id !== e.ownerId) formerOwner.push(e);
      else checked.push(e);
    }
    if (formerOwner.length > 0) {
      const owned = await this.ownedAtTheTime(em, formerOwner);
      formerOwner.forEach((e, i) => {
        if (owned[i]) checked.push(e);
        else
          result.refused.push({ event: e, class: 'wrong_owner', reason: "ownerId is not the key's owner" });
      });
    }
    const accepted = await this.plausibleCosts(em, checked, result);
    if (accepted.length === 0) {
      beforeCommit?.();
      return result;
    }

    const col = <T>(f: (e: UsageEvent) => T) => accepted.map(f);
    const inserted: { key_id: string; org_id: string; time: string; cost_micro: string }[] = await query(
      em,
      sql`INSERT INTO usage_requests (id, org_id, key_id, user_id, time, method, route, model, provider,
         status, error_code, input_tokens, output_tokens, cost_micro, estimated, aborted, latency_ms,
         source_ip, user_agent, gateway_id, request_id, metadata, cache_creation_input_tokens,
         cache_read_input_tokens)
       SELECT id, org_id, key_id, user_id, date_trunc('milliseconds', time), method, route, model, provider,
         status, error_code, input_tokens, output_tokens, cost_micro, estimated, aborted, latency_ms,
         source_ip, user_agent, gateway_id, request_id, metadata, cache_creation_input_tokens,
         cache_read_input_tokens
         FROM unnest(${col((e) => e.id)}::uuid[], ${col((e) => e.orgId)}::uuid[],
           ${col((e) => e.keyId)}::uuid[], ${col((e) => e.ownerId)}::uuid[],
           ${col((e) => e.time)}::timestamptz[], ${col((e) => e.method)}::text[],
           ${col((e) => e.route)}::text[], ${col((e) => e.model)}::text[],
               ${col((e) => e.provider)}::text[], ${col((e) => e.status)}::int[],
               ${col((e) => e.errorCode)}::text[], ${col((e) => e.inputTokens)}::bigint[],
               ${col((e) => e.outputTokens)}::bigint[],
           ${col((e) => usdToMicro(e.costUsd))}::bigint[], ${col((e) => e.estimated)}::boolean[],
               ${col((e) => e.aborted)}::boolean[], ${col((e) => e.latencyMs)}::float8[],
               ${col((e) => e.sourceIp)}::text[], ${col((e) => e.userAgent)}::text[],
           ${col((e) => e.gatewayId)}::text[], ${col((e) => e.requestId)}::text[],
               ${col((e) => JSON.stringify(e.metadata))}::jsonb[],
               ${col((e) => e.cacheCreationInputTokens)}::bigint[],
               ${col((e) => e.cacheReadInputTokens)}::bigint[])
           AS v(id, org_id, key_id, user_id, time, method, route, model, provider, status, error_code,
             input_tokens, output_tokens, cost_micro, estimated, aborted, latency_ms, source_ip,
             user_agent, gateway_id, request_id, metadata, cache_creation_input_tokens,
             cache_read_input_tokens)
       ON CONFLICT (id) DO NOTHING
       RETURNING key_id, org_id, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS time,
         cost_micro::text`,
    );
    result.inserted = inserted.length;
    result.duplicates = accepted.length - inserted.length;

    // Counters and spend only for rows actually inserted: a redelivered event adds nothing.
    const perKey = new Map<string, { org: string; n: number; last: string; micro: bigint }>();
    const perDay = new Map<string, { key: string; org: string; day: string; n: number; micro: bigint }>();
    for (const r of inserted) {
      const micro = BigInt(r.cost_micro);
      const k = perKey.get(r.key_id);
      if (k) {
        k.n++;
        if (r.time > k.last) k.last = r.time;
        k.micro += micro;
      } else perKey.set(r.key_id, { org: r.org_id, n: 1, last: r.time, micro });
      const d = day(r.time);
      const dk = `${r.key_id}|${d}`;
      const s = perDay.get(dk);
      if (s) {
        s.n++;
        s.micro += micro;
      } else perDay.set(dk, { key: r.key_id, org: r.org_id, day: d, n: 1, micro });
    }
    if (perKey.size > 0) {
      const ids = [...perKey.keys()].sort();
      const vals = ids.map((id) => perKey.get(id) as { org: string; n: number; last: string; micro: bigint });
      await execute(
        em,
        sql`UPDATE api_keys k
            SET request_count = k.request_count + v.n,
                last_used_at = GREATEST(k.last_used_at, v.last),
                spent_usd = k.spent_usd + v.micro / 1000000.0
           FROM unnest(${ids}::uuid[], ${vals.map((v) => v.n)}::bigint[],
             ${vals.map((v) => v.last)}::timestamptz[],
             ${vals.map((v) => v.micro.toString())}::bigint[]) AS v(id, n, last, micro)
          WHERE k.id = v.id`,
      );
      const days = [...perDay.values()].sort((a, b) =>
        a.key === b.key ? a.day.localeCompare(b.day) : a.key.localeCompare(b.key),
      );
      await query(
        em,
        sql`INSERT INTO usage_key_spend (key_id, day, org_id, requests, cost_micro)
         SELECT * FROM unnest(${days.map((d) => d.key)}::uuid[], ${days.map((d) => d.day)}::date[],
           ${days.map((d) => d.org)}::uuid[], ${days.map((d) => d.n)}::bigint[],
           ${days.map((d) => d.micro.toString())}::bigint[])
         ON CONFLICT (key_id, day) DO UPDATE
           SET requests = usage_key_spend.requests + EXCLUDED.requests,
               cost_micro = usage_key_spend.cost_micro + EXCLUDED.cost_micro`,
      );
      for (const [id, v] of perKey) {
        const list = result.byOrg.get(v.org);
        if (list) list.push(id);
        else result.byOrg.set(v.org, [id]);
      }
    }
    beforeCommit?.();
    return result;
  }

  /**
   * Events whose `ownerId` is not the key's owner now: true for those whose owner it was when they
   * happened, i.e. the key's first change of owner at or after the event's time (less
   * OWNER_CHANGE_GRACE_S; its audit record) was from that owner. A transfer's in-flight and spooled
   * events are counted; no one else's are.
   */
  private async ownedAtTheTime(em: EntityManager, events: UsageEvent[]): Promise<boolean[]> {
    const rows: { i: string }[] = await query(
      em,
      sql`SELECT v.i::text AS i
         FROM unnest(${events.map((e) => e.orgId)}::uuid[], ${events.map((e) => e.keyId)}::text[],
           ${events.map((e) => e.ownerId)}::text[],
           ${events.map((e) => e.time)}::timestamptz[]) WITH ORDINALITY
           AS v(org_id, key_id, owner_id, t, i)
        WHERE (SELECT a.before->>'ownerId' FROM audit_events a
                WHERE a.org_id = v.org_id AND a.target_id = v.key_id AND a.action = 'key.updated'
                  AND a.created_at >= v.t - make_interval(secs => ${OWNER_CHANGE_GRACE_S})
                  AND a.before->>'ownerId' IS DISTINCT FROM a.after->>'ownerId'
                ORDER BY a.seq LIMIT 1) = v.owner_id`,
    );
    const ok = new Set(rows.map((r) => Number(r.i) - 1));
    return events.map((_, i) => ok.has(i));
  }

  /**
   * Keeps the events whose cost their tokens can explain. A gateway bills a request its tokens × the
   * model's prices (rounded up to a micro-dollar) when the model has a price, else the cost the
   * provider reported (a pass-through call naming no model, a model priced 0). So for a model of the
   * organization with a price, the ceiling is every token at the dearer of its two current prices ×
   * PRICE_SLACK; other events (no model, a model priced 0, a slug the organization no longer has: a
   * model deleted since, and there is no price history) are held to USAGE_EVENT_LIMITS only.
   */
  private async plausibleCosts(
    em: EntityManager,
    events: UsageEvent[],
    result: WriteResult,
  ): Promise<UsageEvent[]> {
    const pairs = new Map<string, { org: string; slug: string }>();
    for (const e of events) {
      if (e.costUsd > 0 && e.model !== null)
        pairs.set(`${e.orgId}|${e.model}`, { org: e.orgId, slug: e.model });
    }
    const price = new Map<string, number>();
    if (pairs.size > 0) {
      const wanted = [...pairs.values()];
      const rows: { org_id: string; slug: string; price: number }[] = await query(
        em,
        sql`SELECT m.org_id, m.slug, greatest(m.input_price_per_mtok, m.output_price_per_mtok,
                  -- NULL (the provider's usual multiple) is skipped by greatest; writes cost 1.25× input.
                  m.cache_write_price_per_mtok, m.cache_read_price_per_mtok,
                    m.input_price_per_mtok * 1.25)::float8 AS price
           FROM models m JOIN unnest(${wanted.map((p) => p.org)}::uuid[],
             ${wanted.map((p) => p.slug)}::text[]) AS v(org_id, slug)
             ON m.org_id = v.org_id AND m.slug = v.slug`,
      );
      for (const r of rows) price.set(`${r.org_id}|${r.slug}`, r.price);
    }
    return events.filter((e) => {
      if (e.costUsd === 0 || e.model === null) return true;
      const perMTok = price.get(`${e.orgId}|${e.model}`);
      if (perMTok === undefined || perMTok === 0) return true;
      let tokens = 0;
      for (const f of USAGE_TOKEN_FIELDS) tokens += e[f];
      // Price per million tokens × tokens = micro-dollars.
      const ceiling = Math.ceil(perMTok * tokens * PRICE_SLACK) + 1;
      if (usdToMicro(e.costUsd) <= ceiling) return true;
      result.refused.push({
        event: e,
        class: 'implausible_cost',
        reason: "costUsd is above what the tokens cost at the model's price",
      });
      return false;
    });
  }
}
