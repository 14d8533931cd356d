import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { KeyRequestsQuery, UsageQuery } from '@portcullis/shared/api/queries';
import {
  type KeyRequestView,
  MICRO_USD,
  type UsageBucket,
  type UsageReport,
  type UsageSums,
} from '@portcullis/shared/usage';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { decodeCursor, encodeCursor, type Page } from '../common/pagination';
import type { OrgCaller } from '../common/request-context';
import { isUuid } from '../common/uuid';
import { isoUtcText, joinSql, query, rawSql, sql } from '../database/sql';
import { UsageGroupResolver } from './usage-group-resolver';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const BUCKET_MS: Record<UsageBucket, number> = { hour: HOUR_MS, day: DAY_MS };
const DEFAULT_RANGE_MS: Record<UsageBucket, number> = { hour: DAY_MS, day: 30 * DAY_MS };
/** The longest range one `GET …/usage` may cover, per bucket size. */
const MAX_RANGE_DAYS: Record<UsageBucket, number> = { hour: 31, day: 366 };

const isoSql = (col: string) => rawSql(isoUtcText(col));

interface RequestCursor {
  t: string;
  i: string;
}
const isRequestCursor = (v: unknown): v is RequestCursor => {
  const c = v as Partial<RequestCursor> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.t === 'string' &&
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(c.t) &&
    !Number.isNaN(Date.parse(c.t)) &&
    isUuid(c.i)
  );
};

interface RequestRow {
  id: string;
  time: string;
  method: string;
  route: string;
  model: string | null;
  provider: string | null;
  status: number;
  error_code: string | null;
  input_tokens: string;
  output_tokens: string;
  cache_creation_input_tokens: string;
  cache_read_input_tokens: string;
  cost_micro: string;
  estimated: boolean;
  aborted: boolean;
  latency_ms: number;
  source_ip: string | null;
  user_agent: string | null;
  gateway_id: string;
  request_id: string;
  user_id: string;
  metadata: Record<string, unknown>;
}

interface SumsRow {
  requests: string;
  errors: string;
  input_tokens: string;
  output_tokens: string;
  cost_micro: string;
}

const sums = (r: SumsRow | undefined): UsageSums => ({
  requests: Number(r?.requests ?? 0),
  errors: Number(r?.errors ?? 0),
  inputTokens: Number(r?.input_tokens ?? 0),
  outputTokens: Number(r?.output_tokens ?? 0),
  costUsd: Number(r?.cost_micro ?? 0) / MICRO_USD,
});

const byCost = <T extends UsageSums>(a: T, b: T) => b.costUsd - a.costUsd || b.requests - a.requests;

/** Read side of usage: a key's request log and rollup reports, scoped to the caller's organization. */
@Injectable()
export class UsageService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly groups: UsageGroupResolver,
  ) {}

  /**
   * A key's usage history, newest first. The same visibility as the key itself (members: their own
   * keys), except that a deleted key keeps its history.
   */
  async keyRequests(caller: OrgCaller, keyId: string, q: KeyRequestsQuery): Promise<Page<KeyRequestView>> {
    await this.assertKeyVisible(caller, keyId);
    const where = [sql`r.org_id = ${caller.org.orgId}`, sql`r.key_id = ${keyId}`];
    if (q.from) where.push(sql`r.time >= ${q.from}::timestamptz`);
    if (q.to) where.push(sql`r.time < ${q.to}::timestamptz`);
    if (q.cursor) {
      const c = decodeCursor(q.cursor, isRequestCursor);
      where.push(sql`(r.time, r.id) < (${c.t}::timestamptz, ${c.i}::uuid)`);
    }
    const rows: RequestRow[] = await query(
      this.db,
      // Columns qualified: ORDER BY time would sort by the text output column, not the index.
      sql`SELECT r.id, ${isoSql('r.time')} AS time, method, route, model, provider, status, error_code,
              input_tokens::text, output_tokens::text, cache_creation_input_tokens::text,
              cache_read_input_tokens::text, cost_micro::text, estimated, aborted, latency_ms,
              source_ip, user_agent, gateway_id, request_id, user_id, metadata
         FROM usage_requests r
        WHERE ${joinSql(where, ' AND ')}
        ORDER BY r.time DESC, r.id DESC
        LIMIT ${q.limit + 1}`,
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      data: page.map((r) => ({
        id: r.id,
        time: r.time,
        method: r.method,
        route: r.route,
        model: r.model,
        provider: r.provider,
        status: r.status,
        errorCode: r.error_code,
        inputTokens: Number(r.input_tokens),
        outputTokens: Number(r.output_tokens),
        cacheCreationInputTokens: Number(r.cache_creation_input_tokens),
        cacheReadInputTokens: Number(r.cache_read_input_tokens),
        costUsd: Number(r.cost_micro) / MICRO_USD,
        estimated: r.estimated,
        aborted: r.aborted,
        latencyMs: r.latency_ms,
        sourceIp: r.source_ip,
        userAgent: r.user_agent,
        gatewayId: r.gateway_id,
        requestId: r.request_id,
        userId: r.user_id,
        metadata: r.metadata,
      })),
      nextCursor: rows.length > q.limit && last ? encodeCursor({ t: last.time, i: last.id }) : null,
    };
  }

  /** Rollups over a time range, as a series of buckets plus totals and breakdowns by key, user, model. */
  async report(caller: OrgCaller, q: UsageQuery, now: number = Date.now()): Promise<UsageReport> {
    const to = q.to ? Date.parse(q.to) : now;
    const from = q.from ? Date.parse(q.from) : to - DEFAULT_RANGE_MS[q.bucket];
    if (from >= to) throw DomainError.invalidField(q.from ? 'from' : 'to', 'must be before to');
    const maxDays = MAX_RANGE_DAYS[q.bucket];
    if (to - from > maxDays * DAY_MS) {
      throw DomainError.invalidField(
        'from',
        `is too far before to: at most ${maxDays} days with bucket=${q.bucket}${q.bucket === 'hour' ? ' (use bucket=day)' : ''}`,
      );
    }
    const size = BUCKET_MS[q.bucket];
    const start = Math.floor(from / size) * size;

    const isAdmin = caller.org.role === 'admin';
    let userId = q.userId;
    if (!isAdmin) {
      if (userId !== undefined && userId !== caller.actor.userId) {
        throw new DomainError('forbidden', 'Members may only see their own usage');
      }
      userId = caller.actor.userId;
    }
    if (q.keyId) await this.assertKeyVisible(caller, q.keyId);
    let groupMembers: string[] | null = null;
    if (q.groupId) {
      groupMembers = await this.groups.memberIds(this.db.manager, caller.org.orgId, q.groupId);
      if (groupMembers === null) throw DomainError.notFound('Group');
    }

    const where = [
      sql`r.org_id = ${caller.org.orgId}`,
      sql`r.granularity = ${q.bucket}`,
      sql`r.bucket_start >= ${new Date(start).toISOString()}`,
      sql`r.bucket_start < ${new Date(to).toISOString()}`,
    ];
    if (q.keyId) where.push(sql`r.key_id = ${q.keyId}`);
    if (userId) where.push(sql`r.user_id = ${userId}`);
    if (groupMembers) where.push(sql`r.user_id = ANY(${groupMembers}::uuid[])`);
    if (q.model !== undefined) where.push(sql`r.model = ${q.model}`);

    const rows: (SumsRow & {
      g_bucket: number;
      g_key: number;
      g_user: number;
      g_model: number;
      bucket_ms: string | null;
      key_id: string | null;
      user_id: string | null;
      model: string | null;
    })[] = await query(
      this.db,
      sql`SELECT GROUPING(r.bucket_start) AS g_bucket, GROUPING(r.key_id) AS g_key,
              GROUPING(r.user_id) AS g_user, GROUPING(r.model) AS g_model,
              (extract(epoch FROM r.bucket_start) * 1000)::bigint::text AS bucket_ms,
              r.key_id, r.user_id, r.model,
              sum(r.requests)::text AS requests, sum(r.errors)::text AS errors,
              sum(r.input_tokens)::text AS input_tokens, sum(r.output_tokens)::text AS output_tokens,
              sum(r.cost_micro)::text AS cost_micro
         FROM usage_rollups r
        WHERE ${joinSql(where, ' AND ')}
        GROUP BY GROUPING SETS ((r.bucket_start), (r.key_id), (r.user_id), (r.model), ())`,
    );

    const series = new Map<number, UsageSums>();
    let totals: UsageSums = sums(undefined);
    const keyRows: (UsageSums & { keyId: string })[] = [];
    const userRows: (UsageSums & { userId: string })[] = [];
    const byModel: UsageReport['byModel'] = [];
    for (const r of rows) {
      if (Number(r.g_bucket) === 0) series.set(Number(r.bucket_ms), sums(r));
      else if (Number(r.g_key) === 0 && r.key_id) keyRows.push({ keyId: r.key_id, ...sums(r) });
      else if (Number(r.g_user) === 0 && r.user_id) userRows.push({ userId: r.user_id, ...sums(r) });
      else if (Number(r.g_model) === 0) byModel.push({ model: r.model === '' ? null : r.model, ...sums(r) });
      else totals = sums(r);
    }

    const data: UsageReport['data'] = [];
    for (let t = start; t < to; t += size) {
      data.push({ start: new Date(t).toISOString(), ...(series.get(t) ?? sums(undefined)) });
    }

    const keyNames = new Map<string, string>();
    if (keyRows.length > 0) {
      const names: { id: string; name: string }[] = await query(
        this.db,
        sql`SELECT id, name FROM api_keys WHERE org_id = ${caller.org.orgId}
            AND id = ANY(${keyRows.map((k) => k.keyId)}::uuid[])`,
      );
      for (const n of names) keyNames.set(n.id, n.name);
    }
    const users = new Map<string, { name: string; email: string }>();
    if (userRows.length > 0) {
      const found: { id: string; name: string; email: string }[] = await query(
        this.db,
        sql`SELECT id, name, email FROM users WHERE id = ANY(${userRows.map((u) => u.userId)}::uuid[])`,
      );
      for (const u of found) users.set(u.id, { name: u.name, email: u.email });
    }

    return {
      bucket: q.bucket,
      from: new Date(start).toISOString(),
      to: new Date(to).toISOString(),
      data,
      totals,
      byKey: keyRows.map((k) => ({ ...k, name: keyNames.get(k.keyId) ?? null })).sort(byCost),
      byUser: userRows
        .map((u) => ({
          ...u,
          name: users.get(u.userId)?.name ?? null,
          email: users.get(u.userId)?.email ?? null,
        }))
        .sort(byCost),
      byModel: byModel.sort(byCost),
    };
  }

  /** 404 unless the key is the organization's and, for a member, their own (deleted keys included). */
  private async assertKeyVisible(caller: OrgCaller, keyId: string): Promise<void> {
    if (!isUuid(keyId)) throw DomainError.notFound('API key');
    const rows: { owner_id: string }[] = await query(
      this.db,
      sql`SELECT owner_id FROM api_keys WHERE id = ${keyId} AND org_id = ${caller.org.orgId}`,
    );
    const key = rows[0];
    if (!key || (caller.org.role !== 'admin' && key.owner_id !== caller.actor.userId)) {
      throw DomainError.notFound('API key');
    }
  }
}
