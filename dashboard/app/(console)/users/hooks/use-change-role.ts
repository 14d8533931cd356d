import type { Role } from '@portcullis/shared/auth';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { meKeys } from '@/lib/api/me';
import { userKeys } from '@/lib/api/users';

export const useChangeRole = (orgId: string, userId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (role: Role) => api.updateUser({ org: orgId, id: userId, body: { role } }),
    onSuccess: async (member) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: userKeys.all(orgId) }),
        // Demoting oneself changes what the console shows: /me carries the roles.
        queryClient.invalidateQueries({ queryKey: meKeys.all }),
      ]);
      toast.success(`${member.name} is now ${member.role === 'admin' ? 'an admin' : 'a member'}`);
    },
  });
};
