import type { ProviderConfig } from './types.js';
import { joinUrl } from './types.js';

const DEFAULT_API_VERSION = '2024-10-21';

/**
 * Azure OpenAI: `{endpoint}/openai/deployments/{deployment}/{op}?api-version=…` with an `api-key` header.
 * The deployment is the credential's, or else the model's upstream name.
 */
export const azureOpenai: ProviderConfig = {
  id: 'azure_openai',
  operations: ['chat', 'embeddings'],
  url(credential, target) {
    const endpoint = credential.config.endpoint || credential.config.baseUrl;
    if (!endpoint) throw new Error(`credential ${credential.id} has no endpoint`);
    const apiVersion = credential.config.apiVersion || DEFAULT_API_VERSION;
    if ('passthrough' in target) {
      const query = new URLSearchParams(target.query);
      if (!query.has('api-version')) query.set('api-version', apiVersion);
      return joinUrl(endpoint, `openai/${target.passthrough}`, query.toString());
    }
    const deployment = encodeURIComponent(credential.config.deployment || target.upstreamModel);
    const op = target.op === 'embeddings' ? 'embeddings' : 'chat/completions';
    return joinUrl(
      endpoint,
      `openai/deployments/${deployment}/${op}`,
      new URLSearchParams({ 'api-version': apiVersion }).toString(),
    );
  },
  authHeaders: (secret) => ({ 'api-key': secret }),
  streamUsageOption: true,
};
