import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { groupKeys } from '@/lib/api/groups';
import { type PolicySubject, revokeGrant } from '@/lib/api/policy';
import { userKeys } from '@/lib/api/users';

export const useRevokeGrant = (orgId: string, subject: PolicySubject) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (model: string) => revokeGrant(orgId, subject, model),
    onSuccess: async (_, model) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: userKeys.details(orgId) }),
        queryClient.invalidateQueries({ queryKey: groupKeys.details(orgId) }),
      ]);
      toast.success(`Access to ${model} revoked`);
    },
  });
};
