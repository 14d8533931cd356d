import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { keyKeys } from '@/lib/api/keys';
import { useOrg } from '@/lib/org-context';

export const useRevokeKey = () => {
  const { org } = useOrg();
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (id: string) => api.revokeKey({ org: org.id, id }),
    onSuccess: (key) => {
      void queryClient.invalidateQueries({ queryKey: keyKeys.org(org.id) });
      toast.success(`Key "${key.name}" revoked`);
    },
  });
};
