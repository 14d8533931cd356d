import type { Role } from '@portcullis/shared/auth';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { createInvitation } from '@/lib/api/invitations';
import { userKeys } from '@/lib/api/users';

export const useInviteUser = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (body: { email: string; role: Role }) => createInvitation(orgId, body),
    onSuccess: async ({ invitation }) => {
      await queryClient.invalidateQueries({ queryKey: userKeys.lists(orgId) });
      toast.success(`Invitation created for ${invitation.email}`);
    },
  });
};
