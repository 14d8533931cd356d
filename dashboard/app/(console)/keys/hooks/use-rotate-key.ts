import type { ApiKey } from '@portcullis/shared/api-keys';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { keyKeys } from '@/lib/api/keys';
import { useOrg } from '@/lib/org-context';

/** Rotates a key; like create, the new secret is handed to `onSecret` and kept out of the cache. */
export const useRotateKey = (onSecret: (key: ApiKey, secret: string) => void) => {
  const { org } = useOrg();
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: async (id: string): Promise<ApiKey> => {
      const { key, secret } = await api.rotateKey({ org: org.id, id });
      onSecret(key, secret);
      return key;
    },
    onSuccess: (key) => {
      void queryClient.invalidateQueries({ queryKey: keyKeys.org(org.id) });
      toast.success(`Key "${key.name}" rotated; the old secret no longer works`);
    },
  });
};
