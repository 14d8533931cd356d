import type { GroupDetailView, GroupMemberView, GroupView } from '@portcullis/shared/policy';
import { queryOptions } from '@tanstack/react-query';
import { api } from './client';
import { listAll } from './list-all';

export type { GroupView };
export type GroupDetail = GroupDetailView;
export type GroupMember = GroupMemberView;

export const groupKeys = {
  all: (orgId: string) => ['groups', orgId] as const,
  list: (orgId: string) => [...groupKeys.all(orgId), 'list'] as const,
  details: (orgId: string) => [...groupKeys.all(orgId), 'detail'] as const,
  detail: (orgId: string, id: string) => [...groupKeys.details(orgId), id] as const,
};

/** Every group (admins: all of them; members: the ones they are in), following the cursor. */
export const groupsQueryOptions = (orgId: string) =>
  queryOptions({
    queryKey: groupKeys.list(orgId),
    queryFn: ({ signal }) => listAll((query) => api.listGroups({ org: orgId, query, signal })),
  });

export const groupQueryOptions = (orgId: string, id: string) =>
  queryOptions({
    queryKey: groupKeys.detail(orgId, id),
    queryFn: ({ signal }) => api.getGroup({ org: orgId, id, signal }),
  });
