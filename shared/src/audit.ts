/**
 * The audit log's REST views: what `GET /orgs/:org/audit-events` and `…/audit-events/verify` return,
 * declared once for the control plane (which builds them) and the dashboard (which shows them), and
 * the one list of actions the control plane records. No `node:` imports: the dashboard bundles this
 * module for the browser.
 */
import { z } from 'zod';
import { Timestamp } from './api/fields';

/**
 * Every action the control plane records, grouped by what it is about. The control plane can only
 * append these (`AuditAction`), the `action` filter of `GET /orgs/:org/audit-events` takes only these
 * (and documents them as its enum), and the dashboard's filter offers them in these groups.
 */
export const AUDIT_ACTION_GROUPS = [
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
] as const satisfies readonly { label: string; actions: readonly string[] }[];

/** An action the control plane records: anything else is a type error where a record is appended. */
export type AuditAction = (typeof AUDIT_ACTION_GROUPS)[number]['actions'][number];

/** The same actions as one list (the order of the groups), non-empty for `z.enum`. */
export const AUDIT_ACTIONS = AUDIT_ACTION_GROUPS.flatMap((g) => g.actions) as unknown as readonly [
  AuditAction,
  ...AuditAction[],
];

const known: ReadonlySet<string> = new Set(AUDIT_ACTIONS);

export const isAuditAction = (value: string): value is AuditAction => known.has(value);

/** One record of the organization's hash-chained audit log. */
export const AuditEventViewSchema = z.object({
  id: z.string(),
  seq: z.number(),
  action: z.string(),
  actor: z.object({ type: z.enum(['user', 'system']), id: z.string().nullable() }),
  target: z.object({ type: z.string(), id: z.string().nullable() }),
  sourceIp: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
  createdAt: Timestamp,
  hash: z.string(),
  prevHash: z.string(),
});
export type AuditEventView = z.infer<typeof AuditEventViewSchema>;

/** `GET …/audit-events/verify`: the chain checked from the first record. */
export const AuditVerificationSchema = z.object({
  ok: z.boolean(),
  checked: z.number(),
  /** The first record that does not check out (edited, missing or out of order). */
  brokenAtSeq: z.number().optional(),
  reason: z.string().optional(),
});
export type AuditVerification = z.infer<typeof AuditVerificationSchema>;
