import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type UsageEvent, usdToMicro } from '@portcullis/shared/usage';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * Advisory lock between ingestion (shared, held by every batch transaction) and the rollup job
 * (exclusive, for an instant): once the rollup job holds it, every `usage_requests.seq` handed out so
 * far belongs to a committed (or rolled-back) row, so a watermark on `seq` never skips a late commit.
 */
export const USAGE_INGEST_LOCK = 0x50_43_55_53; // 'PCUS'

export interface WriteResult {
  /** Events written for the first time (a redelivered event is not among them). */
  inserted: number;
  /** Duplicates of events already stored (or twice in the batch). */
  duplicates: number;
  /** Events whose key does not exist or belongs to another organization: not stored. */
  refused: UsageEvent[];
  /** Organization → keys that got new usage. */
  byOrg: Map<string, string[]>;
}

const day = (iso: string) => new Date(iso).toISOString().slice(0, 10);

/** Writes batches of validated usage events to Postgres, idempotently, in one transaction per batch. */
@Injectable()
export class UsageWriter {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** `beforeCommit` runs inside the transaction after the writes (a test hook for crash tests). */
  write(events: UsageEvent[], beforeCommit?: () => void): Promise<WriteResult> {
    return this.db.transaction((em) => this.writeIn(em, events, beforeCommit));
  }

  private async writeIn(
    em: EntityManager,
    events: UsageEvent[],
    beforeCommit?: () => void,
  ): Promise<WriteResult> {
    const result: WriteResult = { inserted: 0, duplicates: 0, refused: [], byOrg: new Map() };
    if (events.length === 0) return result;
    await em.query('SELECT pg_advisory_xact_lock_shared($1)', [USAGE_INGEST_LOCK]);

    // The keys' rows, locked in id order (two consumers never wait on each other in a cycle): the
    // counters below are updated under these locks.
    const keyIds = [...new Set(events.map((e) => e.keyId))].sort();
    const keys: { id: string; org_id: string }[] = await em.query(
      'SELECT id, org_id FROM api_keys WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE',
      [keyIds],
    );
    const orgOf = new Map(keys.map((k) => [k.id, k.org_id]));
    const accepted: UsageEvent[] = [];
    for (const e of events) {
      if (orgOf.get(e.keyId) === e.orgId) accepted.push(e);
      else result.refused.push(e);
    }
    if (accepted.length === 0) {
      beforeCommit?.();
      return result;
    }

    const col = <T>(f: (e: UsageEvent) => T) => accepted.map(f);
    const inserted: { key_id: string; org_id: string; time: string; cost_micro: string }[] = await em.query(
      `INSERT INTO usage_requests (id, org_id, key_id, user_id, time, method, route, model, provider,
         status, error_code, input_tokens, output_tokens, cost_micro, estimated, aborted, latency_ms,
         source_ip, user_agent, gateway_id, request_id, metadata, cache_creation_input_tokens,
         cache_read_input_tokens)
       SELECT id, org_id, key_id, user_id, date_trunc('milliseconds', time), method, route, model, provider,
         status, error_code, input_tokens, output_tokens, cost_micro, estimated, aborted, latency_ms,
         source_ip, user_agent, gateway_id, request_id, metadata, cache_creation_input_tokens,
         cache_read_input_tokens
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[], $6::text[],
           $7::text[], $8::text[], $9::text[], $10::int[], $11::text[], $12::bigint[], $13::bigint[],
           $14::bigint[], $15::boolean[], $16::boolean[], $17::float8[], $18::text[], $19::text[],
           $20::text[], $21::text[], $22::jsonb[], $23::bigint[], $24::bigint[])
           AS v(id, org_id, key_id, user_id, time, method, route, model, provider, status, error_code,
             input_tokens, output_tokens, cost_micro, estimated, aborted, latency_ms, source_ip,
             user_agent, gateway_id, request_id, metadata, cache_creation_input_tokens,
             cache_read_input_tokens)
       ON CONFLICT (id) DO NOTHING
       RETURNING key_id, org_id, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS time,
         cost_micro::text`,
      [
        col((e) => e.id),
        col((e) => e.orgId),
        col((e) => e.keyId),
        col((e) => e.ownerId),
        col((e) => e.time),
        col((e) => e.method),
        col((e) => e.route),
        col((e) => e.model),
        col((e) => e.provider),
        col((e) => e.status),
        col((e) => e.errorCode),
        col((e) => e.inputTokens),
        col((e) => e.outputTokens),
        col((e) => usdToMicro(e.costUsd)),
        col((e) => e.estimated),
        col((e) => e.aborted),
        col((e) => e.latencyMs),
        col((e) => e.sourceIp),
        col((e) => e.userAgent),
        col((e) => e.gatewayId),
        col((e) => e.requestId),
        col((e) => JSON.stringify(e.metadata)),
        col((e) => e.cacheCreationInputTokens),
        col((e) => e.cacheReadInputTokens),
      ],
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
      await em.query(
        `UPDATE api_keys k
            SET request_count = k.request_count + v.n,
                last_used_at = GREATEST(k.last_used_at, v.last),
                spent_usd = k.spent_usd + v.micro / 1000000.0
           FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::bigint[]) AS v(id, n, last, micro)
          WHERE k.id = v.id`,
        [ids, vals.map((v) => v.n), vals.map((v) => v.last), vals.map((v) => v.micro.toString())],
      );
      const days = [...perDay.values()].sort((a, b) =>
        a.key === b.key ? a.day.localeCompare(b.day) : a.key.localeCompare(b.key),
      );
      await em.query(
        `INSERT INTO usage_key_spend (key_id, day, org_id, requests, cost_micro)
         SELECT * FROM unnest($1::uuid[], $2::date[], $3::uuid[], $4::bigint[], $5::bigint[])
         ON CONFLICT (key_id, day) DO UPDATE
           SET requests = usage_key_spend.requests + EXCLUDED.requests,
               cost_micro = usage_key_spend.cost_micro + EXCLUDED.cost_micro`,
        [
          days.map((d) => d.key),
          days.map((d) => d.day),
          days.map((d) => d.org),
          days.map((d) => d.n),
          days.map((d) => d.micro.toString()),
        ],
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
}
