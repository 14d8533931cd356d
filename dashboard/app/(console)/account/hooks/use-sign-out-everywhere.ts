import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { api } from '@/lib/api/client';

/** Ends every session, this one too: nothing cached may outlive it. */
export const useSignOutEverywhere = () => {
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation({
    mutationFn: () => api.logoutEverywhere(),
    onSuccess: () => {
      queryClient.clear();
      router.replace('/sign-in');
    },
  });
};
