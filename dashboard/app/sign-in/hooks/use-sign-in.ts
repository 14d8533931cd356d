import type { Me } from '@portcullis/shared/auth';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { api } from '@/lib/api/client';
import { meKeys } from '@/lib/api/me';
import { safeNextPath } from '@/lib/safe-next';

/**
 * Signs in, then goes to `next`: the page that sent the visitor here, already made safe by the sign-in
 * page (`safeNextPath`); checked again here so no caller can pass an unchecked one.
 */
export const useSignIn = (next: string) => {
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation({
    mutationFn: (body: { email: string; password: string }) => api.login({ body }),
    onSuccess: ({ user, organizations }) => {
      // The token stays out of the browser's storage: the HttpOnly cookie is the session.
      queryClient.setQueryData<Me>(meKeys.detail(), { user, organizations });
      router.replace(safeNextPath(next));
    },
  });
};
