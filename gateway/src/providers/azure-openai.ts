import type { SnapshotCredential } from '@portcullis/shared/snapshot';
import type { ProviderConfig } from './types.js';
import { apiUrl } from './types.js';

const DEFAULT_API_VERSION = '2024-10-21';

/** The resource's API root, `{endpoint}/openai`, whether or not the endpoint was given with `/openai`. */
function apiRoot(credential: SnapshotCredential): string {
  const endpoint = credential.config.endpoint || credential.config.baseUrl;
  if (!endpoint) throw new Error(`credential ${credential.id} has no endpoint`);
  const url = new URL(endpoint);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/openai') ? path : `${path}/openai`;
  return url.toString();
}

/**
 * Azure OpenAI: `{endpoint}/openai/deployments/{deployment}/{op}?api-version=…` with an `api-key` header.
 * The deployment is the credential's, or else the model's upstream name. Pass-through paths are
 * Azure's documented ones (`openai/deployments/<d>/chat/completions`) or the same without `openai/`.
 */
export const azureOpenai: ProviderConfig = {
  id: 'azure_openai',
  operations: ['chat', 'embeddings'],
  url(credential, target) {
    const root = apiRoot(credential);
    const apiVersion = credential.config.apiVersion || DEFAULT_API_VERSION;
    if ('passthrough' in target) {
      const query = new URLSearchParams(target.query);
      if (!query.has('api-version')) query.set('api-version', apiVersion);
      return apiUrl(root, target.passthrough, query.toString());
    }
    const deployment = encodeURIComponent(credential.config.deployment || target.upstreamModel);
    const op = target.op === 'embeddings' ? 'embeddings' : 'chat/completions';
    return apiUrl(
      root,
      `deployments/${deployment}/${op}`,
      new URLSearchParams({ 'api-version': apiVersion }).toString(),
    );
  },
  authHeaders: (secret) => ({ 'api-key': secret }),
  pathModel(path) {
    // `[openai/]deployments/<name>/<operation…>`: a deployment followed by an operation names a model.
    const segs = path.split('/');
    const at = segs.indexOf('deployments');
    const name = segs[at + 1];
    if (at === -1 || name === undefined || name.length === 0 || at + 2 >= segs.length) return null;
    return {
      name,
      replace(upstreamModel, credential) {
        const out = [...segs];
        out[at + 1] = encodeURIComponent(credential.config.deployment || upstreamModel);
        return out.join('/');
      },
    };
  },
  streamUsageOption: true,
  // Reasoning deployments refuse `max_tokens`.
  chatOutputCap: 'max_completion_tokens',
};
