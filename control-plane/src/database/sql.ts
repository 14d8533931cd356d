import type { EntityManager, EntityTarget, FindOptionsWhere, ObjectLiteral } from 'typeorm';
import { isUuid } from '../common/uuid';

/** A value interpolated more than once as one parameter (`$n` each time): `const s = bind(status)`. */
export class SqlParam {
  constructor(readonly value: unknown) {}
}
export const bind = (value: unknown): SqlParam => new SqlParam(value);

/**
 * A parameterized statement. Values interpolated into `sql\`…\`` become `$1, $2…` in order; an
 * interpolated `Sql` is spliced in with its own values renumbered, so fragments compose.
 */
export class Sql {
  constructor(
    readonly parts: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /** The statement text and its parameters, as `em.query` takes them. */
  build(): { text: string; params: unknown[] } {
    const params: unknown[] = [];
    const text = this.render(params, new Map());
    return { text, params };
  }

  private render(params: unknown[], bound: Map<SqlParam, number>): string {
    let text = this.parts[0] ?? '';
    this.values.forEach((v, i) => {
      if (v instanceof Sql) text += v.render(params, bound);
      else if (v instanceof SqlParam) {
        let n = bound.get(v);
        if (n === undefined) {
          n = params.push(v.value);
          bound.set(v, n);
        }
        text += `$${n}`;
      } else {
        params.push(v);
        text += `$${params.length}`;
      }
      text += this.parts[i + 1] ?? '';
    });
    return text;
  }
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql([...strings], values);
}

/** Trusted SQL text spliced as is: column and sort expressions from constants, never input. */
export const rawSql = (text: string): Sql => new Sql([text], []);

/** Fragments joined by `separator` (' AND ', ', '); an empty list is `empty`. */
export function joinSql(fragments: readonly Sql[], separator: string, empty = ''): Sql {
  if (fragments.length === 0) return rawSql(empty);
  const parts = ['', ...fragments.slice(1).map(() => separator), ''];
  return new Sql(parts, fragments);
}

type Queryable = Pick<EntityManager, 'query'>;

/** The rows of a SELECT, or of an INSERT … RETURNING. */
export async function query<T>(db: Queryable, statement: Sql): Promise<T[]> {
  const { text, params } = statement.build();
  return (await db.query(text, params)) as T[];
}

/** The first row of a SELECT, or undefined. */
export async function queryOne<T>(db: Queryable, statement: Sql): Promise<T | undefined> {
  return (await query<T>(db, statement))[0];
}

/**
 * An UPDATE or DELETE: its RETURNING rows (if any) and how many rows it touched. (TypeORM answers these
 * with `[rows, count]`, unlike a SELECT.)
 */
export async function execute<T = never>(
  db: Queryable,
  statement: Sql,
): Promise<{ rows: T[]; affected: number }> {
  const { text, params } = statement.build();
  const [result, affected] = (await db.query(text, params)) as [T[], number];
  return { rows: result, affected };
}

/**
 * One row of an organization's table by id, through its repository: null when the id is not a UUID, not
 * in `orgId`, or fails `where`. `lock` takes the row lock (inside a transaction).
 */
export async function findInOrg<E extends ObjectLiteral & { id: string; orgId: string }>(
  em: EntityManager,
  entity: EntityTarget<E>,
  orgId: string,
  id: string,
  opts: { where?: FindOptionsWhere<E>; lock?: boolean } = {},
): Promise<E | null> {
  if (!isUuid(id)) return null;
  return em.getRepository(entity).findOne({
    where: { ...opts.where, id, orgId } as FindOptionsWhere<E>,
    ...(opts.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
}

/** `FOR UPDATE` when `lock`, else nothing: the row lock of a lookup that may precede a write. */
export const lockClause = (lock: boolean): Sql => rawSql(lock ? ' FOR UPDATE' : '');

/** An ILIKE pattern matching `text` anywhere, its own `%`, `_` and `\` taken literally. */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** `AND column = ANY(ids)` when `ids` narrows a query to some rows; nothing when it is null or undefined. */
export const idsIn = (column: string, ids: readonly string[] | null | undefined): Sql =>
  ids ? sql`AND ${rawSql(column)} = ANY(${ids}::uuid[])` : rawSql('');

/** A timestamptz column as ISO 8601 in UTC with milliseconds, as `Date.prototype.toISOString` writes it. */
export const isoUtcText = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
