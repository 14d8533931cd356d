import { z } from 'zod';
import { pageOf, Timestamp } from './api/fields';
import { ApiKeySchema } from './api-keys';
import { MEMBER_STATUSES, RoleSchema } from './auth';
import { UserPolicyViewSchema } from './policy';
import { UsageSumsSchema } from './usage';

/**
 * The people views of the REST API (`GET /orgs/:org/users`, `…/users/:id`), declared once for the
 * control plane (which builds them) and the dashboard (which shows them). No `node:` imports: the
 * dashboard bundles this module for the browser.
 */

/**
 * One row of `GET /orgs/:org/users`. Members have their user id; a pending invitation has the
 * invitation's id, a null name, and `invitation` set (members have `invitation: null`).
 */
export const MemberRowSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  email: z.string(),
  role: RoleSchema,
  status: z.enum(MEMBER_STATUSES),
  createdAt: Timestamp,
  /** Extension: when the member joined this organization (null for invitations). */
  joinedAt: Timestamp.nullable(),
  /** Extension: the pending invitation behind an `invited` row. */
  invitation: z
    .object({
      expiresAt: Timestamp,
      expired: z.boolean(),
      mailStatus: z.enum(['queued', 'sent', 'failed']).nullable(),
    })
    .nullable(),
});
export type MemberRow = z.infer<typeof MemberRowSchema>;

/** A member of the organization (never an invitation). */
export const MemberSchema = MemberRowSchema.extend({
  name: z.string(),
  status: z.enum(['active', 'suspended']),
  joinedAt: Timestamp.nullable(),
  invitation: z.null(),
});
export type Member = z.infer<typeof MemberSchema>;

/** `GET /orgs/:org/users/:id`: the member with keys, grants, limits, budgets, groups, effective policy, usage. */
export const MemberDetailSchema = MemberSchema.extend({
  ...UserPolicyViewSchema.shape,
  /** The member's keys in this organization, as the keys API returns them (first page, newest first). */
  keys: pageOf(ApiKeySchema),
  /** Totals of the last 30 days (from the usage rollups). */
  usage: z.object({ from: Timestamp, to: Timestamp, totals: UsageSumsSchema }),
});
export type MemberDetail = z.infer<typeof MemberDetailSchema>;

/** An invitation as `POST /orgs/:org/invitations` returns it (the link itself only beside it, once). */
export const InvitationViewSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: RoleSchema,
  expiresAt: Timestamp,
  createdAt: Timestamp,
  /** Extension: 'queued' when SMTP_URL is configured and the link is being mailed, else null. */
  mailStatus: z.enum(['queued']).nullable(),
});
export type InvitationView = z.infer<typeof InvitationViewSchema>;

/** `POST /orgs/:org/invitations`: the link is returned only when it is not mailed. */
export const InvitationCreatedSchema = z.object({
  invitation: InvitationViewSchema,
  acceptUrl: z.string().nullable(),
});
export type InvitationCreated = z.infer<typeof InvitationCreatedSchema>;
