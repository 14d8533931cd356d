import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { groupKeys } from '@/lib/api/groups';
import { keyKeys } from '@/lib/api/keys';
import { userKeys } from '@/lib/api/users';

export const useRemoveMember = (orgId: string, userId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (_name: string) => api.removeUser({ org: orgId, id: userId }),
    onSuccess: async (_, name) => {
      // The detail is gone for good: drop it rather than refetch a 404.
      queryClient.removeQueries({ queryKey: userKeys.detail(orgId, userId) });
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: userKeys.lists(orgId) }),
        queryClient.invalidateQueries({ queryKey: groupKeys.all(orgId) }),
        queryClient.invalidateQueries({ queryKey: keyKeys.org(orgId) }),
      ]);
      toast.success(`${name} was removed from the organization`);
    },
  });
};
