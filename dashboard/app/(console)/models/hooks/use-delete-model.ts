import { api } from '@/lib/api/client';
import { modelKeys } from '@/lib/api/models';
import { providerCredentialKeys } from '@/lib/api/providers';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useDeleteModel = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: ({ id }: { id: string; slug: string }) => api.deleteModel({ org: orgId, id }),
    invalidate: [modelKeys.lists(orgId), providerCredentialKeys.lists(orgId)],
    success: (_, { slug }) => `Model ${slug} deleted`,
  });
