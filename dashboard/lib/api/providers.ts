import type { Provider } from '@portcullis/shared/api-keys';
import type {
  CreateCredentialInput,
  ProviderCredentialView,
  UpdateCredentialInput,
} from '@portcullis/shared/providers';
import { catalogKeys, catalogQueryOptions, deleteItem, itemPath } from './catalog';
import { apiFetch } from './client';
import { objectSchema, orgApi, queryString } from './org';

/** Provider credentials (`/orgs/:org/provider-credentials`, admins only): secrets come back masked. */
export const providerCredentialKeys = catalogKeys('provider-credentials');

const CredentialSchema = objectSchema<ProviderCredentialView>();

export const providerCredentialsQueryOptions = (orgId: string) =>
  catalogQueryOptions(providerCredentialKeys, orgId, '/provider-credentials', CredentialSchema);

const credentialPath = (orgId: string, id: string, rest = '') =>
  itemPath(orgId, '/provider-credentials', id, rest);

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
  deleteItem(credentialPath(orgId, id, queryString({ force: force || undefined })));

/** How each provider is named on screen. */
export const PROVIDER_LABELS: Record<Provider, string> = {
  openai: 'OpenAI',
  azure_openai: 'Azure OpenAI',
  anthropic: 'Anthropic',
  gemini: 'Google Gemini',
  openai_compatible: 'OpenAI-compatible',
};
