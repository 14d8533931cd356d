import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { groupKeys } from '@/lib/api/groups';
import { type PolicySubject, type PutLimitsBody, putLimits } from '@/lib/api/policy';
import { userKeys } from '@/lib/api/users';

/** Replaces a user's or group's rate limits and budgets (the PUT takes both: send what should stay). */
export const usePutLimits = (orgId: string, subject: PolicySubject, successMessage: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (body: PutLimitsBody) => putLimits(orgId, subject, body),
    onSuccess: async () => {
      // A group's limits change its members' effective policy too.
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: userKeys.details(orgId) }),
        queryClient.invalidateQueries({ queryKey: groupKeys.details(orgId) }),
      ]);
      toast.success(successMessage);
    },
  });
};
