import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { userKeys } from '@/lib/api/users';

/** Suspend or reactivate: one hook, since the page shows whichever applies. */
export const useSetMemberStatus = (orgId: string, userId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (action: 'suspend' | 'reactivate') =>
      action === 'suspend'
        ? api.suspendUser({ org: orgId, id: userId })
        : api.reactivateUser({ org: orgId, id: userId }),
    onSuccess: async (member) => {
      await queryClient.invalidateQueries({ queryKey: userKeys.all(orgId) });
      toast.success(
        member.status === 'suspended' ? `${member.name} is suspended` : `${member.name} is active again`,
      );
    },
  });
};
