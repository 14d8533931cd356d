import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { groupKeys } from '@/lib/api/groups';
import { userKeys } from '@/lib/api/users';

export const useRenameGroup = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: ({ id, name }: { id: string; name: string }) =>
      api.updateGroup({ org: orgId, id, body: { name } }),
    onSuccess: async (group) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: groupKeys.all(orgId) }),
        // Members' pages name their groups.
        queryClient.invalidateQueries({ queryKey: userKeys.details(orgId) }),
      ]);
      toast.success(`Group renamed to ${group.name}`);
    },
  });
};
