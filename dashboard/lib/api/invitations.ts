import type { Role } from '@portcullis/shared/auth';
import type { InvitationView } from '@portcullis/shared/members';
import { z } from 'zod';
import { apiFetch } from './client';
import { objectSchema, orgApi } from './org';
import { UserSchema } from './schemas';

export type { InvitationView };

export interface CreatedInvitation {
  invitation: InvitationView;
  /** The one-time link; shown once, to pass on when no email was sent. */
  acceptUrl: string;
}

export const createInvitation = (orgId: string, body: { email: string; role: Role }) =>
  apiFetch(orgApi(orgId, '/invitations'), {
    method: 'POST',
    body,
    schema: objectSchema<CreatedInvitation>(),
  });

/** Withdraws a pending invitation: its link stops working. */
export const revokeInvitation = (orgId: string, id: string) =>
  apiFetch(orgApi(orgId, `/invitations/${encodeURIComponent(id)}`), {
    method: 'DELETE',
    schema: z.undefined(),
  });

const AcceptedSchema = z.object({ user: UserSchema });

/**
 * Accepts an invitation (public: no session needed). The control plane answers with a token but
 * sets no cookie on this route, so the caller signs in with the new password afterwards.
 */
export const acceptInvitation = (token: string, body: { name: string; password: string }) =>
  apiFetch(`/api/v1/invitations/${encodeURIComponent(token)}/accept`, {
    method: 'POST',
    body,
    schema: AcceptedSchema,
  });
