import { api } from '@/lib/api/client';
import { modelKeys } from '@/lib/api/models';
import { providerCredentialKeys } from '@/lib/api/providers';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useDeleteCredential = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: ({ id, force }: { id: string; name: string; force: boolean }) =>
      api.deleteProviderCredential({ org: orgId, id, query: { force: force ? 'true' : undefined } }),
    // A forced delete takes the credential's models with it.
    invalidate: [providerCredentialKeys.lists(orgId), modelKeys.lists(orgId)],
    success: (_, { name }) => `Provider credential ${name} deleted`,
  });
