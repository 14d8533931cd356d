import type { ApiKey } from '@portcullis/shared/api-keys';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { keyKeys } from '@/lib/api/keys';
import { useOrg } from '@/lib/org-context';

export const useDeleteKey = () => {
  const { org } = useOrg();
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (key: ApiKey) => api.deleteKey({ org: org.id, id: key.id }),
    onSuccess: (_, key) => {
      // Lists only: the open detail dialog closes on success and must not refetch a key that is gone.
      void queryClient.invalidateQueries({ queryKey: keyKeys.lists(org.id) });
      toast.success(`Key "${key.name}" deleted`);
    },
  });
};
