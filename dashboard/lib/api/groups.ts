import type { GroupDetailView, GroupMemberView, GroupView } from '@portcullis/shared/policy';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { apiFetch } from './client';
import { listAll } from './list-all';
import { objectSchema, orgApi } from './org';

export type { GroupView };
export type GroupDetail = GroupDetailView;
export type GroupMember = GroupMemberView;

export const groupKeys = {
  all: (orgId: string) => ['groups', orgId] as const,
  list: (orgId: string) => [...groupKeys.all(orgId), 'list'] as const,
  details: (orgId: string) => [...groupKeys.all(orgId), 'detail'] as const,
  detail: (orgId: string, id: string) => [...groupKeys.details(orgId), id] as const,
};

const GroupSchema = objectSchema<GroupView>();
const GroupDetailSchema = objectSchema<GroupDetail>();

/** Every group (admins: all of them; members: the ones they are in), following the cursor. */
export const groupsQueryOptions = (orgId: string) =>
  queryOptions({
    queryKey: groupKeys.list(orgId),
    queryFn: ({ signal }) => listAll(orgApi(orgId, '/groups'), GroupSchema, signal),
  });

export const groupQueryOptions = (orgId: string, id: string) =>
  queryOptions({
    queryKey: groupKeys.detail(orgId, id),
    queryFn: ({ signal }) =>
      apiFetch(orgApi(orgId, `/groups/${encodeURIComponent(id)}`), { schema: GroupDetailSchema, signal }),
  });

export const createGroup = (orgId: string, name: string) =>
  apiFetch(orgApi(orgId, '/groups'), { method: 'POST', body: { name }, schema: GroupDetailSchema });

export const renameGroup = (orgId: string, id: string, name: string) =>
  apiFetch(orgApi(orgId, `/groups/${encodeURIComponent(id)}`), {
    method: 'PATCH',
    body: { name },
    schema: GroupDetailSchema,
  });

export const deleteGroup = (orgId: string, id: string) =>
  apiFetch(orgApi(orgId, `/groups/${encodeURIComponent(id)}`), { method: 'DELETE', schema: z.undefined() });

export const addGroupMember = (orgId: string, id: string, userId: string) =>
  apiFetch(orgApi(orgId, `/groups/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`), {
    method: 'PUT',
    schema: z.undefined(),
  });

export const removeGroupMember = (orgId: string, id: string, userId: string) =>
  apiFetch(orgApi(orgId, `/groups/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`), {
    method: 'DELETE',
    schema: z.undefined(),
  });
