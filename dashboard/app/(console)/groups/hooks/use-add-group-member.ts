import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { groupKeys } from '@/lib/api/groups';
import { type Member, userKeys } from '@/lib/api/users';

export const useAddGroupMember = (orgId: string, groupId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (member: Pick<Member, 'id' | 'name'>) =>
      api.addGroupMember({ org: orgId, id: groupId, userId: member.id }),
    onSuccess: async (_, member) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: groupKeys.all(orgId) }),
        queryClient.invalidateQueries({ queryKey: userKeys.detail(orgId, member.id) }),
      ]);
      toast.success(`${member.name} added to the group`);
    },
  });
};
