import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { type GroupView, groupKeys } from '@/lib/api/groups';
import { userKeys } from '@/lib/api/users';

export const useDeleteGroup = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (group: Pick<GroupView, 'id' | 'name'>) => api.deleteGroup({ org: orgId, id: group.id }),
    onSuccess: async (_, group) => {
      queryClient.removeQueries({ queryKey: groupKeys.detail(orgId, group.id) });
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: groupKeys.list(orgId) }),
        queryClient.invalidateQueries({ queryKey: userKeys.details(orgId) }),
      ]);
      toast.success(`Group ${group.name} deleted`);
    },
  });
};
