import { type AuditEventView, type AuditVerification, isAuditAction } from '@portcullis/shared/audit';
import { queryOptions } from '@tanstack/react-query';
import { api } from './client';

export type { AuditEventView, AuditVerification };

export interface AuditFilters {
  action?: string;
  targetId?: string;
  cursor?: string;
}

export const auditKeys = {
  all: ['audit'] as const,
  lists: (orgId: string) => [...auditKeys.all, orgId, 'list'] as const,
  list: (orgId: string, filters: AuditFilters) => [...auditKeys.lists(orgId), filters] as const,
  verify: (orgId: string) => [...auditKeys.all, orgId, 'verify'] as const,
};

export const auditEventsQueryOptions = (orgId: string, filters: AuditFilters) =>
  queryOptions({
    queryKey: auditKeys.list(orgId, filters),
    queryFn: ({ signal }) => {
      const { action, ...rest } = filters;
      // The API refuses an action it never records (400): no event has one, so nothing matches.
      if (action !== undefined && !isAuditAction(action))
        return Promise.resolve({ data: [] as AuditEventView[], nextCursor: null });
      return api.listAuditEvents({ org: orgId, query: { action, ...rest }, signal });
    },
  });

export const auditVerifyQueryOptions = (orgId: string) =>
  queryOptions({
    queryKey: auditKeys.verify(orgId),
    queryFn: ({ signal }) => api.verifyAuditEvents({ org: orgId, signal }),
  });
