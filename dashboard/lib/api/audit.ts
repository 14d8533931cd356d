import type { AuditEventView, AuditVerification } from '@portcullis/shared/audit';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { apiFetch } from './client';
import { listSchema, objectSchema, orgApi, queryString } from './org';

export type { AuditEventView, AuditVerification };

/**
 * Actions the control plane records, grouped by what they are about. The API filters on any exact
 * action string, so the page also takes one typed by hand (an action added later, say).
 */
export const AUDIT_ACTION_GROUPS: readonly { label: string; actions: readonly string[] }[] = [
  { label: 'Organization', actions: ['org.created', 'org.settings_updated'] },
  {
    label: 'API keys',
    actions: [
      'key.created',
      'key.updated',
      'key.rotated',
      'key.activated',
      'key.deactivated',
      'key.revoked',
      'key.expired',
      'key.deleted',
      'key.ephemeral_token_created',
    ],
  },
  {
    label: 'Users',
    actions: [
      'invitation.created',
      'invitation.revoked',
      'member.joined',
      'user.updated',
      'user.suspended',
      'user.reactivated',
      'user.removed',
      'user.sessions_ended',
      'user.grant_added',
      'user.grant_removed',
      'user.limits_updated',
    ],
  },
  {
    label: 'Groups',
    actions: [
      'group.created',
      'group.updated',
      'group.deleted',
      'group.member_added',
      'group.member_removed',
      'group.grant_added',
      'group.grant_removed',
      'group.limits_updated',
    ],
  },
  {
    label: 'Providers and models',
    actions: [
      'provider_credential.created',
      'provider_credential.updated',
      'provider_credential.deleted',
      'model.created',
      'model.updated',
      'model.deleted',
    ],
  },
  {
    label: 'MCP servers',
    actions: ['mcp_server.created', 'mcp_server.updated', 'mcp_server.tools_refreshed', 'mcp_server.deleted'],
  },
  {
    label: 'Gateways',
    actions: [
      'gateway.token_created',
      'gateway.registered',
      'gateway.deleted',
      'gateway.snapshot_key_rotated',
    ],
  },
  { label: 'Budgets', actions: ['budget.threshold_reached'] },
  { label: 'Webhooks', actions: ['webhook.created', 'webhook.deleted'] },
];

export const KNOWN_AUDIT_ACTIONS: ReadonlySet<string> = new Set(
  AUDIT_ACTION_GROUPS.flatMap((group) => group.actions),
);

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
    queryFn: ({ signal }) =>
      apiFetch(orgApi(orgId, `/audit-events${queryString({ ...filters })}`), {
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
