import { UpdateCredentialSchema } from '@portcullis/shared/providers';
import { modelKeys } from '@/lib/api/models';
import { providerCredentialKeys, updateProviderCredential } from '@/lib/api/providers';
import { validateBody } from '@/lib/api/validate';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useUpdateCredential = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: async ({ id, body }: { id: string; body: unknown }) =>
      updateProviderCredential(orgId, id, validateBody(UpdateCredentialSchema, body)),
    // Models show their credential's name.
    invalidate: [providerCredentialKeys.lists(orgId), modelKeys.lists(orgId)],
    success: (credential) => `Provider credential ${credential.name} saved`,
  });
