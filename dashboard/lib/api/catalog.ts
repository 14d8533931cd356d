import { queryOptions } from '@tanstack/react-query';
import { listAll } from './list-all';

/**
 * The query keys of one of an org's catalogs (`['models', orgId, 'list']`); mutations invalidate
 * `lists(orgId)`, so every list of the org refetches and no other org's cache is touched.
 */
export const catalogKeys = <const Name extends string>(name: Name) => {
  const all = [name] as const;
  const lists = (orgId: string) => [...all, orgId, 'list'] as const;
  return { all, lists, list: (orgId: string) => [...lists(orgId)] as const };
};

/** A catalog list operation of the API client: `{ org, query: { limit, cursor }, signal }` → a page. */
type CatalogList<T> = (input: {
  org: string;
  query: { limit: number; cursor?: string };
  signal?: AbortSignal;
}) => Promise<{ data: T[]; nextCursor: string | null }>;

/** The whole catalog (every page), cached under `keys.list(orgId)`. */
export const catalogQueryOptions = <T, const Name extends string>(
  keys: ReturnType<typeof catalogKeys<Name>>,
  orgId: string,
  list: CatalogList<T>,
) =>
  queryOptions({
    queryKey: keys.list(orgId),
    queryFn: ({ signal }) => listAll((query) => list({ org: orgId, query, signal })),
  });
