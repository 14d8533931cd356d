import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ApiKey, ListKeysQuery } from '@portcullis/shared/api-keys';
import type { KeyDetail } from '@portcullis/shared/policy';
import { findUnstorableText } from '@portcullis/shared/validation';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { decodeCursor, encodeCursor, type Page } from '../common/pagination';
import type { OrgCaller } from '../common/request-context';
import { isUuid } from '../common/uuid';
import { bind, containsPattern, isoUtcText, joinSql, query, rawSql, type Sql, sql } from '../database/sql';
import { PolicyService } from '../policy/policy.service';
import { SpendService } from '../usage/spend.service';
import { ApiKeyEntity } from './api-key.entity';
import { KeyLookup } from './key-lookup';
import { STATUS_SQL, toApiKey, withEffective } from './key-view';

const isText = (v: string) => findUnstorableText(v) === null;

/** Sort key → SQL expression, the cast its cursor value needs, and what such a value looks like. */
const SORTS = {
  name: { expr: 'lower(k.name)', cast: 'text', defaultOrder: 'asc', text: 'lower(k.name)', valid: isText },
  owner: {
    expr: "lower(coalesce(u.name, '') || ' ' || coalesce(u.email, ''))",
    cast: 'text',
    defaultOrder: 'asc',
    text: "lower(coalesce(u.name, '') || ' ' || coalesce(u.email, ''))",
    valid: isText,
  },
  status: { expr: STATUS_SQL, cast: 'text', defaultOrder: 'asc', text: STATUS_SQL, valid: isText },
  requests: {
    expr: 'k.request_count',
    cast: 'bigint',
    defaultOrder: 'desc',
    text: 'k.request_count::text',
    valid: (v: string) => /^\d{1,18}$/.test(v),
  },
  created: {
    expr: 'k.created_at',
    cast: 'timestamptz',
    defaultOrder: 'desc',
    text: isoUtcText('k.created_at'),
    valid: (v: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v) && !Number.isNaN(Date.parse(v)),
  },
} as const;

interface KeyCursor {
  s: string;
  o: 'asc' | 'desc';
  v: string;
  i: string;
}
const isKeyCursor = (v: unknown): v is KeyCursor => {
  const c = v as Partial<KeyCursor> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.s === 'string' &&
    (c.o === 'asc' || c.o === 'desc') &&
    typeof c.v === 'string' &&
    c.v.length <= 400 &&
    isUuid(c.i)
  );
};

interface ListRow {
  id: string;
  sort_value: string;
  owner_email: string | null;
  owner_name: string | null;
}

/** Reading keys: the searchable, sortable list and one key's detail with its effective policy. */
@Injectable()
export class KeysQueryService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly lookup: KeyLookup,
    private readonly spend: SpendService,
    private readonly policy: PolicyService,
  ) {}

  async list(caller: OrgCaller, q: ListKeysQuery): Promise<Page<ApiKey>> {
    const sort = SORTS[q.sort];
    const order = q.order ?? sort.defaultOrder;
    const where: Sql[] = [sql`k.org_id = ${caller.org.orgId}`, sql`k.deleted_at IS NULL`];
    if (caller.org.role !== 'admin') where.push(sql`k.owner_id = ${caller.actor.userId}`);
    if (q.ownerId) where.push(sql`k.owner_id = ${q.ownerId}`);
    if (q.search) {
      const pattern = bind(containsPattern(q.search));
      where.push(sql`(k.name ILIKE ${pattern} OR ('ptcl_' || k.key_id) ILIKE ${pattern})`);
    }
    if (q.status) where.push(sql`(${rawSql(STATUS_SQL)}) = ${q.status}`);
    if (q.cursor) {
      const c = decodeCursor(q.cursor, isKeyCursor);
      if (!sort.valid(c.v)) throw DomainError.invalidField('cursor', 'is not a valid cursor');
      if (c.s !== q.sort || c.o !== order) {
        throw DomainError.invalidField(
          'cursor',
          'belongs to a different sort order; start again without a cursor',
        );
      }
      const cmp = rawSql(order === 'asc' ? '>' : '<');
      where.push(sql`((${rawSql(sort.expr)}), k.id) ${cmp} (${c.v}::${rawSql(sort.cast)}, ${c.i}::uuid)`);
    }
    const listed = await query<ListRow>(
      this.db,
      sql`SELECT k.id, (${rawSql(sort.text)}) AS sort_value, u.email AS owner_email, u.name AS owner_name
            FROM api_keys k LEFT JOIN users u ON u.id = k.owner_id
           WHERE ${joinSql(where, ' AND ')}
           ORDER BY (${rawSql(sort.expr)}) ${rawSql(order)}, k.id ${rawSql(order)}
           LIMIT ${q.limit + 1}`,
    );
    const pageRows = listed.slice(0, q.limit);
    const ids = pageRows.map((r) => r.id);
    const entities = ids.length
      ? await this.db.getRepository(ApiKeyEntity).createQueryBuilder('k').whereInIds(ids).getMany()
      : [];
    const byId = new Map(entities.map((e) => [e.id, e]));
    const total = await this.lookup.orgRequestTotal(caller.org.orgId);
    const spent = await this.spend.currentSpendUsd(this.db.manager, caller.org.orgId, entities);
    const data = pageRows.flatMap((r) => {
      const e = byId.get(r.id);
      if (!e) return [];
      const owner = r.owner_email ? { id: e.ownerId, email: r.owner_email, name: r.owner_name ?? '' } : null;
      return [toApiKey(e, owner, total, spent.get(e.id) ?? 0)];
    });
    const last = pageRows[pageRows.length - 1];
    return {
      data,
      nextCursor:
        listed.length > q.limit && last
          ? encodeCursor({ s: q.sort, o: order, v: last.sort_value, i: last.id })
          : null,
    };
  }

  async get(caller: OrgCaller, id: string): Promise<KeyDetail> {
    const entity = await this.lookup.findVisible(this.db.manager, caller, id);
    const key = await this.lookup.view(this.db.manager, entity);
    return withEffective(key, await this.policy.keyEffective(this.db.manager, caller.org.orgId, key));
  }
}
