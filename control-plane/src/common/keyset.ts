import { rawSql, type Sql, sql } from '../database/sql';
import { decodeCursor, encodeCursor, type Page } from './pagination';
import { isUuid } from './uuid';

interface NameCursor {
  v: string;
  i: string;
}
const isNameCursor = (v: unknown): v is NameCursor => {
  const c = v as Partial<NameCursor> | null;
  return typeof c === 'object' && c !== null && typeof c.v === 'string' && c.v.length <= 400 && isUuid(c.i);
};

const isTimeCursor = (v: unknown): v is NameCursor =>
  isNameCursor(v) && v.v.length <= 40 && !Number.isNaN(Date.parse(v.v));

/**
 * Keyset pagination over `(nameColumn, id)` ascending: the WHERE fragment (or TRUE) and the row count to
 * ask for (one past the page, so `toPage` knows whether there is a next one).
 */
export function nameKeyset(
  nameColumn: string,
  idColumn: string,
  q: { limit: number; cursor?: string | undefined },
): { where: Sql; limit: number } {
  let where = sql`TRUE`;
  if (q.cursor) {
    const c = decodeCursor(q.cursor, isNameCursor);
    where = sql`(${rawSql(nameColumn)}, ${rawSql(idColumn)}) > (${c.v}, ${c.i}::uuid)`;
  }
  return { where, limit: q.limit + 1 };
}

/**
 * Keyset pagination over `(created_at, id)`: `>` for oldest first, `<` for newest first. Pages come
 * from `timePage`.
 */
export function timeKeyset(
  q: { limit: number; cursor?: string | undefined },
  op: '>' | '<',
): { where: Sql; limit: number } {
  let where = sql`TRUE`;
  if (q.cursor) {
    const c = decodeCursor(q.cursor, isTimeCursor);
    where = sql`(created_at, id) ${rawSql(op)} (${c.v}::timestamptz, ${c.i}::uuid)`;
  }
  return { where, limit: q.limit + 1 };
}

export function timePage<R extends { id: string; created_at: Date }, T>(
  rows: R[],
  limit: number,
  map: (r: R) => T,
): Page<T> {
  return toPage(rows, limit, map, (r) => ({ v: new Date(r.created_at).toISOString(), i: r.id }));
}

export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (r: R) => T,
  cursorOf: (r: R) => { v: string; i: string },
): Page<T> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page.map(map),
    nextCursor: rows.length > limit && last ? encodeCursor({ ...cursorOf(last) }) : null,
  };
}
