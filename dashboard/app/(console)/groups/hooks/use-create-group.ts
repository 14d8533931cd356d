import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { createGroup, groupKeys } from '@/lib/api/groups';

export const useCreateGroup = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (name: string) => createGroup(orgId, name),
    onSuccess: async (group) => {
      await queryClient.invalidateQueries({ queryKey: groupKeys.list(orgId) });
      toast.success(`Group ${group.name} created`);
    },
  });
};
