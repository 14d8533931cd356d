import type { Me } from '@portcullis/shared/auth';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { api } from '@/lib/api/client';
import { meKeys } from '@/lib/api/me';

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
      const { user } = await api.acceptInvitation({ token, body: input });
      try {
        return await api.login({ body: { email: user.email, password: input.password } });
      } catch (error) {
        // Joined, but the sign-in failed (rate limit, network): the invitation is used now.
        throw new JoinedButNotSignedIn(user.email, error);
      }
    },
    onSuccess: ({ user, organizations }) => {
      queryClient.setQueryData<Me>(meKeys.detail(), { user, organizations });
      router.replace(LANDING);
    },
  });
};

/** An existing account joins with the session it is signed in with: no password here. */
export const useJoinAsSignedIn = (token: string) => {
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation({
    mutationFn: () => api.acceptInvitation({ token, body: {} }),
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
