import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { type KeyUpdateBody, keyKeys } from '@/lib/api/keys';
import { useOrg } from '@/lib/org-context';

export const useUpdateKey = () => {
  const { org } = useOrg();
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: KeyUpdateBody }) =>
      api.updateKey({ org: org.id, id, body }),
    onSuccess: (key) => {
      void queryClient.invalidateQueries({ queryKey: keyKeys.org(org.id) });
      toast.success(`Key "${key.name}" saved`);
    },
  });
};
