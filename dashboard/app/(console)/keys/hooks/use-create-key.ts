import type { ApiKey } from '@portcullis/shared/api-keys';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { type KeyBody, keyKeys } from '@/lib/api/keys';
import { useOrg } from '@/lib/org-context';

/**
 * Creates a key. The secret goes straight to `onSecret` (component state) and is not the mutation's
 * result, so it never sits in react-query's cache.
 */
export const useCreateKey = (onSecret: (key: ApiKey, secret: string) => void) => {
  const { org } = useOrg();
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: async (body: KeyBody): Promise<ApiKey> => {
      const { key, secret } = await api.createKey({ org: org.id, body });
      onSecret(key, secret);
      return key;
    },
    onSuccess: (key) => {
      void queryClient.invalidateQueries({ queryKey: keyKeys.org(org.id) });
      toast.success(`Key "${key.name}" created`);
    },
  });
};
