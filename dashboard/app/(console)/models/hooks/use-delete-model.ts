import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { deleteModel, modelKeys } from '@/lib/api/models';
import { providerCredentialKeys } from '@/lib/api/providers';

export const useDeleteModel = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: ({ id }: { id: string; slug: string }) => deleteModel(orgId, id),
    onSuccess: async (_, { slug }) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: modelKeys.lists(orgId) }),
        queryClient.invalidateQueries({ queryKey: providerCredentialKeys.lists(orgId) }),
      ]);
      toast.success(`Model ${slug} deleted`);
    },
  });
};
