import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { apiFetch } from './client';
import { listAll } from './list-all';
import { orgApi } from './org';

/**
 * The query keys of one of an org's catalogs (`['models', orgId, 'list']`); mutations invalidate
 * `lists(orgId)`, so every list of the org refetches and no other org's cache is touched.
 */
export const catalogKeys = <const Name extends string>(name: Name) => {
  const all = [name] as const;
  const lists = (orgId: string) => [...all, orgId, 'list'] as const;
  return { all, lists, list: (orgId: string) => [...lists(orgId)] as const };
};

/** The whole catalog at `/orgs/:org<path>` (every page), cached under `keys.list(orgId)`. */
export const catalogQueryOptions = <T, const Name extends string>(
  keys: ReturnType<typeof catalogKeys<Name>>,
  orgId: string,
  path: string,
  item: z.ZodType<T>,
) =>
  queryOptions({
    queryKey: keys.list(orgId),
    queryFn: ({ signal }) => listAll(orgApi(orgId, path), item, signal),
  });

/** `/orgs/:org<collection>/:id<rest>`, the id encoded. */
export const itemPath = (orgId: string, collection: string, id: string, rest = ''): string =>
  orgApi(orgId, `${collection}/${encodeURIComponent(id)}${rest}`);

/** A DELETE the API answers with 204 (no body). */
export const deleteItem = (path: string): Promise<undefined> =>
  apiFetch(path, { method: 'DELETE', schema: z.undefined() });
