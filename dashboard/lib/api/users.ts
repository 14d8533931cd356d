import type { MemberStatus } from '@portcullis/shared/auth';
import type { Member, MemberDetail, MemberRow } from '@portcullis/shared/members';
import { queryOptions } from '@tanstack/react-query';
import { api } from './client';
import { listAll } from './list-all';

export type { Member, MemberDetail, MemberRow };

export interface UserFilters {
  search: string;
  status: string;
}

export const userKeys = {
  all: (orgId: string) => ['users', orgId] as const,
  lists: (orgId: string) => [...userKeys.all(orgId), 'list'] as const,
  list: (orgId: string, filters: UserFilters) => [...userKeys.lists(orgId), filters] as const,
  details: (orgId: string) => [...userKeys.all(orgId), 'detail'] as const,
  detail: (orgId: string, id: string) => [...userKeys.details(orgId), id] as const,
};

/** One page of members and invitations; `cursor` continues a previous page. */
export const fetchUsersPage = (
  orgId: string,
  filters: UserFilters,
  cursor: string | null,
  signal?: AbortSignal,
) =>
  api.listUsers({
    org: orgId,
    query: {
      search: filters.search.trim(),
      status:
        filters.status === 'all' || filters.status === '' ? undefined : (filters.status as MemberStatus),
      cursor: cursor ?? undefined,
    },
    signal,
  });

/** Every member (for pickers such as "add to group"): follows the cursor to the end. */
export const allMembersQueryOptions = (orgId: string) =>
  queryOptions({
    queryKey: [...userKeys.lists(orgId), 'all-members'] as const,
    queryFn: async ({ signal }) => {
      const rows = await listAll((query) => api.listUsers({ org: orgId, query, signal }));
      return rows.filter((row): row is Member => row.status !== 'invited');
    },
  });

export const userQueryOptions = (orgId: string, id: string) =>
  queryOptions({
    queryKey: userKeys.detail(orgId, id),
    queryFn: ({ signal }) => api.getUser({ org: orgId, id, signal }),
  });
