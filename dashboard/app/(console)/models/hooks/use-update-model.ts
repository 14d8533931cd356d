import { UpdateModelSchema } from '@portcullis/shared/providers';
import { modelKeys, updateModel } from '@/lib/api/models';
import { providerCredentialKeys } from '@/lib/api/providers';
import { validateBody } from '@/lib/api/validate';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useUpdateModel = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: async ({ id, body }: { id: string; body: unknown }) =>
      updateModel(orgId, id, validateBody(UpdateModelSchema, body)),
    invalidate: [modelKeys.lists(orgId), providerCredentialKeys.lists(orgId)],
    success: (model) => `Model ${model.slug} saved`,
  });
