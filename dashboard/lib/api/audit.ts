import { type AuditEventView, type AuditVerification, isAuditAction } from '@portcullis/shared/audit';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { apiFetch } from './client';
import { listSchema, objectSchema, orgApi, type Page, queryString } from './org';

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

const AuditPageSchema = listSchema(objectSchema<AuditEventView>());

export const auditEventsQueryOptions = (orgId: string, filters: AuditFilters) =>
  queryOptions({
    queryKey: auditKeys.list(orgId, filters),
    queryFn: ({ signal }): Promise<Page<AuditEventView>> =>
      // The API refuses an action it never records (400): no event has one, so nothing matches.
      filters.action !== undefined && !isAuditAction(filters.action)
        ? Promise.resolve({ data: [], nextCursor: null })
        : apiFetch(orgApi(orgId, `/audit-events${queryString({ ...filters })}`), {
            schema: AuditPageSchema,
            signal,
          }),
  });

const AuditVerificationSchema = z.object({
  ok: z.boolean(),
  checked: z.number(),
  brokenAtSeq: z.number().optional(),
  reason: z.string().optional(),
});

export const auditVerifyQueryOptions = (orgId: string) =>
  queryOptions({
    queryKey: auditKeys.verify(orgId),
    queryFn: ({ signal }): Promise<AuditVerification> =>
      apiFetch(orgApi(orgId, '/audit-events/verify'), { schema: AuditVerificationSchema, signal }),
  });
