import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { login } from '@/lib/api/auth';
import { meKeys } from '@/lib/api/me';
import type { Session } from '@/lib/api/schemas';
import { safeNextPath } from '@/lib/safe-next';

/**
 * Signs in, then goes to `next`: the page that sent the visitor here, already made safe by the sign-in
 * page (`safeNextPath`); checked again here so no caller can pass an unchecked one.
 */
export const useSignIn = (next: string) => {
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation({
    mutationFn: login,
    onSuccess: ({ user, organizations }) => {
      // The token stays out of the browser's storage: the HttpOnly cookie is the session.
      queryClient.setQueryData<Session>(meKeys.detail(), { user, organizations });
      router.replace(safeNextPath(next));
    },
  });
};
