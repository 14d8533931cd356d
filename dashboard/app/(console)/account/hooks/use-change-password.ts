import { sessionKeys } from '@/lib/api/auth';
import { api } from '@/lib/api/client';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

/** The other sessions end with the change, so the list is fetched again. */
export const useChangePassword = () =>
  useInvalidatingMutation({
    mutationFn: (body: { currentPassword: string; newPassword: string }) => api.changePassword({ body }),
    invalidate: [sessionKeys.all],
    success: () => 'Password changed; your other sessions are signed out',
  });
