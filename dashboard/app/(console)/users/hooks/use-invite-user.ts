import type { Role } from '@portcullis/shared/auth';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { userKeys } from '@/lib/api/users';

export const useInviteUser = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (body: { email: string; role: Role }) => api.createInvitation({ org: orgId, body }),
    onSuccess: async ({ invitation }) => {
      await queryClient.invalidateQueries({ queryKey: userKeys.lists(orgId) });
      toast.success(`Invitation created for ${invitation.email}`);
    },
  });
};
