import { DomainError } from './errors/domain-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path ids that are not UUIDs cannot name anything: callers answer 404 without asking the database. */
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID.test(s);

/** What a path id names, found by `lookup`, or a 404 naming `what` (a non-UUID id is not looked up). */
export async function foundById<T>(
  what: string,
  id: string,
  lookup: () => Promise<T | undefined>,
): Promise<T> {
  const found = isUuid(id) ? await lookup() : undefined;
  if (found === undefined) throw DomainError.notFound(what);
  return found;
}
