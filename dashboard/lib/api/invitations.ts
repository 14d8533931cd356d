import { queryOptions } from '@tanstack/react-query';
import { api } from './client';

export type { InvitationPeek } from '@portcullis/shared/auth';
export type { InvitationCreated, InvitationView } from '@portcullis/shared/members';

export const invitationKeys = {
  all: ['invitation'] as const,
  detail: (token: string) => [...invitationKeys.all, token] as const,
};

/** What a link is for, and whether its email has an account (then it is accepted signed in as that). */
export const invitationQueryOptions = (token: string) =>
  queryOptions({
    queryKey: invitationKeys.detail(token),
    queryFn: ({ signal }) => api.getInvitation({ token, signal }),
    retry: false,
    // The answer depends on who is signed in (signedInAs): never reuse it after leaving the page (for
    // the sign-in page, say), so coming back asks again.
    staleTime: 0,
    gcTime: 0,
  });
