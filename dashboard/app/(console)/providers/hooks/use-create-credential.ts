import { CreateCredentialSchema } from '@portcullis/shared/providers';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { createProviderCredential, providerCredentialKeys } from '@/lib/api/providers';
import { validateBody } from '@/lib/api/validate';

export const useCreateCredential = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: async (body: unknown) =>
      createProviderCredential(orgId, validateBody(CreateCredentialSchema, body)),
    onSuccess: async (credential) => {
      await queryClient.invalidateQueries({ queryKey: providerCredentialKeys.lists(orgId) });
      toast.success(`Provider credential ${credential.name} added`);
    },
  });
};
