import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { api, isApiError } from '@/lib/api/client';

export const useSignOut = () => {
  const queryClient = useQueryClient();
  const router = useRouter();
  const leave = () => {
    // Nothing cached for this user may outlive the session.
    queryClient.clear();
    router.replace('/sign-in');
  };
  return useMutation({
    mutationFn: () => api.logout(),
    onSuccess: leave,
    onError: (error) => {
      // A session that is already gone is as good as signed out.
      if (isApiError(error) && error.status === 401) leave();
    },
  });
};
