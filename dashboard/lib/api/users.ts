import type { UpdateMemberInput } from '@portcullis/shared/auth';
import type { Member, MemberDetail, MemberRow } from '@portcullis/shared/members';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { apiFetch } from './client';
import { listAll } from './list-all';
import { listSchema, objectSchema, orgApi, queryString } from './org';

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

const MemberRowSchema = objectSchema<MemberRow>();

/** One page of members and invitations; `cursor` continues a previous page. */
export const fetchUsersPage = (
  orgId: string,
  filters: UserFilters,
  cursor: string | null,
  signal?: AbortSignal,
) =>
  apiFetch(
    orgApi(
      orgId,
      `/users${queryString({
        search: filters.search.trim(),
        status: filters.status === 'all' ? undefined : filters.status,
        cursor,
      })}`,
    ),
    { schema: listSchema(MemberRowSchema), signal },
  );

/** Every member (for pickers such as "add to group"): follows the cursor to the end. */
export const allMembersQueryOptions = (orgId: string) =>
  queryOptions({
    queryKey: [...userKeys.lists(orgId), 'all-members'] as const,
    queryFn: async ({ signal }) => {
      const rows = await listAll(orgApi(orgId, '/users'), MemberRowSchema, signal);
      return rows.filter((row): row is Member => row.status !== 'invited');
    },
  });

export const userQueryOptions = (orgId: string, id: string) =>
  queryOptions({
    queryKey: userKeys.detail(orgId, id),
    queryFn: ({ signal }) =>
      apiFetch(orgApi(orgId, `/users/${encodeURIComponent(id)}`), {
        schema: objectSchema<MemberDetail>(),
        signal,
      }),
  });

const MemberSchema = objectSchema<Member>();

export const updateMember = (orgId: string, id: string, body: UpdateMemberInput) =>
  apiFetch(orgApi(orgId, `/users/${encodeURIComponent(id)}`), {
    method: 'PATCH',
    body,
    schema: MemberSchema,
  });

export const suspendMember = (orgId: string, id: string) =>
  apiFetch(orgApi(orgId, `/users/${encodeURIComponent(id)}/suspend`), {
    method: 'POST',
    schema: MemberSchema,
  });

export const reactivateMember = (orgId: string, id: string) =>
  apiFetch(orgApi(orgId, `/users/${encodeURIComponent(id)}/reactivate`), {
    method: 'POST',
    schema: MemberSchema,
  });

export const removeMember = (orgId: string, id: string) =>
  apiFetch(orgApi(orgId, `/users/${encodeURIComponent(id)}`), { method: 'DELETE', schema: z.undefined() });
