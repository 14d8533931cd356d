import type { ApiKey } from './api-keys';
import type { MemberStatus, Role } from './auth';
import type { UserPolicyView } from './policy';
import type { UsageSums } from './usage';

/**
 * The people views of the REST API (`GET /orgs/:org/users`, `…/users/:id`), declared once for the
 * control plane (which builds them) and the dashboard (which shows them). Types only: the dashboard
 * bundles this module for the browser.
 */

/**
 * One row of `GET /orgs/:org/users`. Members have their user id; a pending invitation has the
 * invitation's id, a null name, and `invitation` set (members have `invitation: null`).
 */
export interface MemberRow {
  id: string;
  name: string | null;
  email: string;
  role: Role;
  status: MemberStatus;
  createdAt: string;
  /** Extension: when the member joined this organization (null for invitations). */
  joinedAt: string | null;
  /** Extension: the pending invitation behind an `invited` row. */
  invitation: {
    expiresAt: string;
    expired: boolean;
    mailStatus: 'queued' | 'sent' | 'failed' | null;
  } | null;
}

/** A member of the organization (never an invitation). */
export interface Member extends MemberRow {
  name: string;
  status: 'active' | 'suspended';
  invitation: null;
}

/** `GET /orgs/:org/users/:id`: the member with keys, grants, limits, budgets, groups, effective policy, usage. */
export interface MemberDetail extends Member, UserPolicyView {
  /** The member's keys in this organization, as the keys API returns them (first page, newest first). */
  keys: { data: ApiKey[]; nextCursor: string | null };
  /** Totals of the last 30 days (from the usage rollups). */
  usage: { from: string; to: string; totals: UsageSums };
}

/** An invitation as `POST /orgs/:org/invitations` returns it (the link itself only beside it, once). */
export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  expiresAt: string;
  createdAt: string;
  /** Extension: 'queued' when SMTP_URL is configured and the link is being mailed, else null. */
  mailStatus: 'queued' | null;
}
