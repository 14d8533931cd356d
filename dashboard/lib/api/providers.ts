import type { Provider } from '@portcullis/shared/api-keys';
import { catalogKeys, catalogQueryOptions } from './catalog';
import { api } from './client';

/** Provider credentials (admins only): secrets come back masked. */
export const providerCredentialKeys = catalogKeys('provider-credentials');

export const providerCredentialsQueryOptions = (orgId: string) =>
  catalogQueryOptions(providerCredentialKeys, orgId, api.listProviderCredentials);

/** How each provider is named on screen. */
export const PROVIDER_LABELS: Record<Provider, string> = {
  openai: 'OpenAI',
  azure_openai: 'Azure OpenAI',
  anthropic: 'Anthropic',
  gemini: 'Google Gemini',
  openai_compatible: 'OpenAI-compatible',
};
