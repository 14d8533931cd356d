import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { modelKeys } from '@/lib/api/models';
import { deleteProviderCredential, providerCredentialKeys } from '@/lib/api/providers';

export const useDeleteCredential = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: ({ id, force }: { id: string; name: string; force: boolean }) =>
      deleteProviderCredential(orgId, id, force),
    onSuccess: async (_, { name }) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: providerCredentialKeys.lists(orgId) }),
        // A forced delete takes the credential's models with it.
        queryClient.invalidateQueries({ queryKey: modelKeys.lists(orgId) }),
      ]);
      toast.success(`Provider credential ${name} deleted`);
    },
  });
};
