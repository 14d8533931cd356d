/**
 * The audit log's REST views: what `GET /orgs/:org/audit-events` and `…/audit-events/verify` return,
 * declared once for the control plane (which builds them) and the dashboard (which shows them).
 * Types only: the dashboard bundles this module for the browser.
 */

/** One record of the organization's hash-chained audit log. */
export interface AuditEventView {
  id: string;
  seq: number;
  action: string;
  actor: { type: 'user' | 'system'; id: string | null };
  target: { type: string; id: string | null };
  sourceIp: string | null;
  before: unknown;
  after: unknown;
  createdAt: string;
  hash: string;
  prevHash: string;
}

/** `GET …/audit-events/verify`: the chain checked from the first record. */
export interface AuditVerification {
  ok: boolean;
  checked: number;
  /** The first record that does not check out (edited, missing or out of order). */
  brokenAtSeq?: number;
  reason?: string;
}
