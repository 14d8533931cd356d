import { CreateModelSchema } from '@portcullis/shared/providers';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { createModel, modelKeys } from '@/lib/api/models';
import { providerCredentialKeys } from '@/lib/api/providers';
import { validateBody } from '@/lib/api/validate';

export const useCreateModel = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: async (body: unknown) => createModel(orgId, validateBody(CreateModelSchema, body)),
    onSuccess: async (model) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: modelKeys.lists(orgId) }),
        // Credentials list the models that use them.
        queryClient.invalidateQueries({ queryKey: providerCredentialKeys.lists(orgId) }),
      ]);
      toast.success(`Model ${model.slug} added`);
    },
  });
};
