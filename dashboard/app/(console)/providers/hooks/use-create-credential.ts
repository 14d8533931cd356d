import { CreateCredentialSchema } from '@portcullis/shared/providers';
import { createProviderCredential, providerCredentialKeys } from '@/lib/api/providers';
import { validateBody } from '@/lib/api/validate';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useCreateCredential = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: async (body: unknown) =>
      createProviderCredential(orgId, validateBody(CreateCredentialSchema, body)),
    invalidate: [providerCredentialKeys.lists(orgId)],
    success: (credential) => `Provider credential ${credential.name} added`,
  });
