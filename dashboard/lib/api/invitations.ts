import type { Role } from '@portcullis/shared/auth';
import type { InvitationView } from '@portcullis/shared/members';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { apiFetch } from './client';
import { objectSchema, orgApi } from './org';
import { UserSchema } from './schemas';

export type { InvitationView };

export interface CreatedInvitation {
  invitation: InvitationView;
  /**
   * The one-time link, shown once, to pass on, when no mail is sent; null when it was mailed (then only
   * the invitee's mailbox ever holds it).
   */
  acceptUrl: string | null;
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

const InvitationPeekSchema = z.object({
  invitation: z.object({
    email: z.string(),
    role: z.enum(['admin', 'member']),
    expiresAt: z.string(),
    organization: z.object({ name: z.string() }),
  }),
  accountExists: z.boolean(),
  signedInAs: z.string().nullable(),
});
export type InvitationPeek = z.infer<typeof InvitationPeekSchema>;

export const invitationKeys = {
  all: ['invitation'] as const,
  detail: (token: string) => [...invitationKeys.all, token] as const,
};

/** What a link is for, and whether its email has an account (then it is accepted signed in as that). */
export const invitationQueryOptions = (token: string) =>
  queryOptions({
    queryKey: invitationKeys.detail(token),
    queryFn: ({ signal }) =>
      apiFetch(`/api/v1/invitations/${encodeURIComponent(token)}`, { schema: InvitationPeekSchema, signal }),
    retry: false,
    // The answer depends on who is signed in (signedInAs): never reuse it after leaving the page (for
    // the sign-in page, say), so coming back asks again.
    staleTime: 0,
    gcTime: 0,
  });

/**
 * Accepts an invitation. A new account sends its name and password (the control plane answers with a
 * token but sets no cookie on this route, so the caller signs in with the new password afterwards); an
 * existing account sends nothing and is recognised by its session cookie.
 */
export const acceptInvitation = (
  token: string,
  body: { name: string; password: string } | Record<string, never>,
) =>
  apiFetch(`/api/v1/invitations/${encodeURIComponent(token)}/accept`, {
    method: 'POST',
    body,
    schema: AcceptedSchema,
  });
