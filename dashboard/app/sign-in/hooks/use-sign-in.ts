import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { login } from '@/lib/api/auth';
import { meKeys } from '@/lib/api/me';
import type { Session } from '@/lib/api/schemas';

/** Where to go after signing in: the page that sent the visitor here, if it is one of ours. */
const nextPath = (): string => {
  const next = new URLSearchParams(window.location.search).get('next');
  // Only same-origin paths: `//host` and `/\host` would leave the site.
  return next && /^\/(?![/\\])/.test(next) ? next : '/';
};

export const useSignIn = () => {
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation({
    mutationFn: login,
    onSuccess: ({ user, organizations }) => {
      // The token stays out of the browser's storage: the HttpOnly cookie is the session.
      queryClient.setQueryData<Session>(meKeys.detail(), { user, organizations });
      router.replace(nextPath());
    },
  });
};
