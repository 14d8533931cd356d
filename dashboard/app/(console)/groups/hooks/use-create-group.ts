import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { groupKeys } from '@/lib/api/groups';

export const useCreateGroup = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (name: string) => api.createGroup({ org: orgId, body: { name } }),
    onSuccess: async (group) => {
      await queryClient.invalidateQueries({ queryKey: groupKeys.list(orgId) });
      toast.success(`Group ${group.name} created`);
    },
  });
};
