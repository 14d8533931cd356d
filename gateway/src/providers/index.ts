import type { Provider } from '@portcullis/shared/api-keys';
import { anthropic } from './anthropic.js';
import { azureOpenai } from './azure-openai.js';
import { openai } from './openai.js';
import { gemini, openaiCompatible } from './openai-compatible.js';
import type { ProviderConfig } from './types.js';

export type { Operation, ProviderConfig, Usage } from './types.js';

export const PROVIDER_CONFIGS: Record<Provider, ProviderConfig> = {
  openai,
  azure_openai: azureOpenai,
  anthropic,
  gemini,
  openai_compatible: openaiCompatible,
};

/** Names accepted in `/gateway/:provider/*` (the wire names, plus dashed spellings). */
export function providerByPathName(name: string): ProviderConfig | null {
  const id = name.replace(/-/g, '_');
  return Object.hasOwn(PROVIDER_CONFIGS, id) ? PROVIDER_CONFIGS[id as Provider] : null;
}
