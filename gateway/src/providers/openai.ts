import type { ProviderConfig } from './types.js';
import { apiUrl, joinUrl } from './types.js';

const OPENAI_PATHS = { chat: 'chat/completions', embeddings: 'embeddings', messages: '' } as const;

/** Builds an OpenAI-wire-format provider whose requests go to `baseUrl` with a Bearer secret. */
export function openAiLike(
  id: ProviderConfig['id'],
  defaultBaseUrl: string | null,
  chatOutputCap: ProviderConfig['chatOutputCap'] = 'max_tokens',
): ProviderConfig {
  return {
    id,
    chatOutputCap,
    operations: ['chat', 'embeddings'],
    url(credential, target) {
      const base = credential.config.baseUrl || defaultBaseUrl;
      if (!base) throw new Error(`credential ${credential.id} has no baseUrl`);
      if ('passthrough' in target) return apiUrl(base, target.passthrough, target.query);
      return joinUrl(base, OPENAI_PATHS[target.op]);
    },
    authHeaders(secret, credential) {
      const headers: Record<string, string> = { authorization: `Bearer ${secret}` };
      if (id === 'openai' && credential.config.projectId)
        headers['openai-project'] = credential.config.projectId;
      return headers;
    },
    streamUsageOption: true,
  };
}

// Reasoning models refuse `max_tokens`.
export const openai: ProviderConfig = openAiLike(
  'openai',
  'https://api.openai.com/v1',
  'max_completion_tokens',
);
