import { UpdateCredentialSchema } from '@portcullis/shared/providers';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { modelKeys } from '@/lib/api/models';
import { providerCredentialKeys, updateProviderCredential } from '@/lib/api/providers';
import { validateBody } from '@/lib/api/validate';

export const useUpdateCredential = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: async ({ id, body }: { id: string; body: unknown }) =>
      updateProviderCredential(orgId, id, validateBody(UpdateCredentialSchema, body)),
    onSuccess: async (credential) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: providerCredentialKeys.lists(orgId) }),
        // Models show their credential's name.
        queryClient.invalidateQueries({ queryKey: modelKeys.lists(orgId) }),
      ]);
      toast.success(`Provider credential ${credential.name} saved`);
    },
  });
};
