import { validateBody } from '@portcullis/shared/api/client';
import { CreateCredentialSchema } from '@portcullis/shared/providers';
import { api } from '@/lib/api/client';
import { providerCredentialKeys } from '@/lib/api/providers';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useCreateCredential = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: async (body: unknown) =>
      api.createProviderCredential({ org: orgId, body: validateBody(CreateCredentialSchema, body) }),
    invalidate: [providerCredentialKeys.lists(orgId)],
    success: (credential) => `Provider credential ${credential.name} added`,
  });
