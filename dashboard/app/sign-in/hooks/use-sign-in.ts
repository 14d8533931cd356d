import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { login } from '@/lib/api/auth';
import { meKeys } from '@/lib/api/me';
import type { Session } from '@/lib/api/schemas';

export const useSignIn = () => {
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation({
    mutationFn: login,
    onSuccess: ({ user, organizations }) => {
      // The token stays out of the browser's storage: the HttpOnly cookie is the session.
      queryClient.setQueryData<Session>(meKeys.detail(), { user, organizations });
      router.replace('/');
    },
  });
};
