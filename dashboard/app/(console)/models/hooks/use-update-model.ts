import { validateBody } from '@portcullis/shared/api/client';
import { UpdateModelSchema } from '@portcullis/shared/providers';
import { api } from '@/lib/api/client';
import { modelKeys } from '@/lib/api/models';
import { providerCredentialKeys } from '@/lib/api/providers';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useUpdateModel = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: async ({ id, body }: { id: string; body: unknown }) =>
      api.updateModel({ org: orgId, id, body: validateBody(UpdateModelSchema, body) }),
    invalidate: [modelKeys.lists(orgId), providerCredentialKeys.lists(orgId)],
    success: (model) => `Model ${model.slug} saved`,
  });
