import { CreateModelSchema } from '@portcullis/shared/providers';
import { createModel, modelKeys } from '@/lib/api/models';
import { providerCredentialKeys } from '@/lib/api/providers';
import { validateBody } from '@/lib/api/validate';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useCreateModel = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: async (body: unknown) => createModel(orgId, validateBody(CreateModelSchema, body)),
    // Credentials list the models that use them.
    invalidate: [modelKeys.lists(orgId), providerCredentialKeys.lists(orgId)],
    success: (model) => `Model ${model.slug} added`,
  });
