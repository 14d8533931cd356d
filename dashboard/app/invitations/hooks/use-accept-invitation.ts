import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { login } from '@/lib/api/auth';
import { acceptInvitation } from '@/lib/api/invitations';
import { meKeys } from '@/lib/api/me';
import type { Session } from '@/lib/api/schemas';

export interface AcceptInput {
  name: string;
  password: string;
}

/** Where a new member lands. */
const LANDING = '/keys';

/**
 * Accepts, then signs in: the accept answer carries a token but no cookie, and the console's
 * session is the HttpOnly cookie that only `/auth/login` sets, so the new password signs in once.
 */
export const useAcceptInvitation = (token: string) => {
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation({
    mutationFn: async (input: AcceptInput) => {
      const { user } = await acceptInvitation(token, input);
      try {
        return await login({ email: user.email, password: input.password });
      } catch (error) {
        // Joined, but the sign-in failed (rate limit, network): the invitation is used now.
        throw new JoinedButNotSignedIn(user.email, error);
      }
    },
    onSuccess: ({ user, organizations }) => {
      queryClient.setQueryData<Session>(meKeys.detail(), { user, organizations });
      router.replace(LANDING);
    },
  });
};

/** An existing account joins with the session it is signed in with: no password here. */
export const useJoinAsSignedIn = (token: string) => {
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation({
    mutationFn: () => acceptInvitation(token, {}),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: meKeys.all });
      router.replace(LANDING);
    },
  });
};

export class JoinedButNotSignedIn extends Error {
  override readonly name = 'JoinedButNotSignedIn';
  constructor(
    readonly email: string,
    override readonly cause: unknown,
  ) {
    super('You joined the organization, but signing in failed.');
  }
}
