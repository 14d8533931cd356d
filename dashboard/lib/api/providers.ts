import type { Provider } from '@portcullis/shared/api-keys';
import type {
  CreateCredentialInput,
  ProviderCredentialView,
  UpdateCredentialInput,
} from '@portcullis/shared/providers';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { apiFetch } from './client';
import { listAll } from './list-all';
import { objectSchema, orgApi, queryString } from './org';

/** Provider credentials (`/orgs/:org/provider-credentials`, admins only): secrets come back masked. */
export const providerCredentialKeys = {
  all: ['provider-credentials'] as const,
  lists: (orgId: string) => [...providerCredentialKeys.all, orgId, 'list'] as const,
  list: (orgId: string) => [...providerCredentialKeys.lists(orgId)] as const,
};

const CredentialSchema = objectSchema<ProviderCredentialView>();

export const providerCredentialsQueryOptions = (orgId: string) =>
  queryOptions({
    queryKey: providerCredentialKeys.list(orgId),
    queryFn: ({ signal }) => listAll(orgApi(orgId, '/provider-credentials'), CredentialSchema, signal),
  });

const credentialPath = (orgId: string, id: string, rest = '') =>
  orgApi(orgId, `/provider-credentials/${encodeURIComponent(id)}${rest}`);

export const createProviderCredential = (
  orgId: string,
  body: CreateCredentialInput,
): Promise<ProviderCredentialView> =>
  apiFetch(orgApi(orgId, '/provider-credentials'), { method: 'POST', body, schema: CredentialSchema });

export const updateProviderCredential = (
  orgId: string,
  id: string,
  body: UpdateCredentialInput,
): Promise<ProviderCredentialView> =>
  apiFetch(credentialPath(orgId, id), { method: 'PATCH', body, schema: CredentialSchema });

/** 409 while models use the credential, unless `force` (which deletes those models too). */
export const deleteProviderCredential = (orgId: string, id: string, force = false): Promise<undefined> =>
  apiFetch(credentialPath(orgId, id, queryString({ force: force || undefined })), {
    method: 'DELETE',
    schema: z.undefined(),
  });

/** How each provider is named on screen. */
export const PROVIDER_LABELS: Record<Provider, string> = {
  openai: 'OpenAI',
  azure_openai: 'Azure OpenAI',
  anthropic: 'Anthropic',
  gemini: 'Google Gemini',
  openai_compatible: 'OpenAI-compatible',
};
