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

/**
 * Keyset pagination over `(nameColumn, id)` ascending. Appends its parameters to `params` and returns
 * the WHERE fragment (or 'TRUE') and the LIMIT placeholder.
 */
export function nameKeyset(
  nameColumn: string,
  idColumn: string,
  q: { limit: number; cursor?: string | undefined },
  params: unknown[],
): { where: string; limit: string } {
  let where = 'TRUE';
  if (q.cursor) {
    const c = decodeCursor(q.cursor, isNameCursor);
    params.push(c.v, c.i);
    where = `(${nameColumn}, ${idColumn}) > ($${params.length - 1}, $${params.length}::uuid)`;
  }
  params.push(q.limit + 1);
  return { where, limit: `$${params.length}` };
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
