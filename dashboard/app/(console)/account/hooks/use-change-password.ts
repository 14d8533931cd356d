import { changePassword, sessionKeys } from '@/lib/api/auth';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

/** The other sessions end with the change, so the list is fetched again. */
export const useChangePassword = () =>
  useInvalidatingMutation({
    mutationFn: changePassword,
    invalidate: [sessionKeys.all],
    success: () => 'Password changed; your other sessions are signed out',
  });
