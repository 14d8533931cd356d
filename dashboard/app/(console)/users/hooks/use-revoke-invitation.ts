import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { type MemberRow, userKeys } from '@/lib/api/users';

export const useRevokeInvitation = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (row: MemberRow) => api.revokeInvitation({ org: orgId, id: row.id }),
    onSuccess: async (_, row) => {
      await queryClient.invalidateQueries({ queryKey: userKeys.lists(orgId) });
      toast.success(`Invitation for ${row.email} cancelled`);
    },
  });
};
