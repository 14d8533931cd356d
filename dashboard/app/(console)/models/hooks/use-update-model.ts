import { UpdateModelSchema } from '@portcullis/shared/providers';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { modelKeys, updateModel } from '@/lib/api/models';
import { providerCredentialKeys } from '@/lib/api/providers';
import { validateBody } from '@/lib/api/validate';

export const useUpdateModel = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: async ({ id, body }: { id: string; body: unknown }) =>
      updateModel(orgId, id, validateBody(UpdateModelSchema, body)),
    onSuccess: async (model) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: modelKeys.lists(orgId) }),
        queryClient.invalidateQueries({ queryKey: providerCredentialKeys.lists(orgId) }),
      ]);
      toast.success(`Model ${model.slug} saved`);
    },
  });
};
