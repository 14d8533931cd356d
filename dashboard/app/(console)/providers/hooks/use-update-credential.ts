import { validateBody } from '@portcullis/shared/api/client';
import { UpdateCredentialSchema } from '@portcullis/shared/providers';
import { api } from '@/lib/api/client';
import { modelKeys } from '@/lib/api/models';
import { providerCredentialKeys } from '@/lib/api/providers';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useUpdateCredential = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: async ({ id, body }: { id: string; body: unknown }) =>
      api.updateProviderCredential({ org: orgId, id, body: validateBody(UpdateCredentialSchema, body) }),
    // Models show their credential's name.
    invalidate: [providerCredentialKeys.lists(orgId), modelKeys.lists(orgId)],
    success: (credential) => `Provider credential ${credential.name} saved`,
  });
