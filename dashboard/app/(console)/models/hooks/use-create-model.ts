import { validateBody } from '@portcullis/shared/api/client';
import { CreateModelSchema } from '@portcullis/shared/providers';
import { api } from '@/lib/api/client';
import { modelKeys } from '@/lib/api/models';
import { providerCredentialKeys } from '@/lib/api/providers';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useCreateModel = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: async (body: unknown) =>
      api.createModel({ org: orgId, body: validateBody(CreateModelSchema, body) }),
    // Credentials list the models that use them.
    invalidate: [modelKeys.lists(orgId), providerCredentialKeys.lists(orgId)],
    success: (model) => `Model ${model.slug} added`,
  });
