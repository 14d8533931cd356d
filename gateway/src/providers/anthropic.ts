import type { ProviderConfig } from './types.js';
import { apiUrl } from './types.js';

const ANTHROPIC_VERSION = '2023-06-01';

/** Anthropic Messages API: `x-api-key` + `anthropic-version`; the base URL may end in `/v1` or not. */
export const anthropic: ProviderConfig = {
  id: 'anthropic',
  operations: ['messages'],
  url(credential, target) {
    const base = credential.config.baseUrl || 'https://api.anthropic.com';
    if ('passthrough' in target) return apiUrl(base, target.passthrough, target.query);
    return apiUrl(base, 'v1/messages');
  },
  authHeaders(secret, _credential, incoming) {
    // Clients pin their API version; keep theirs when it has the documented shape.
    const version = incoming.get('anthropic-version');
    return {
      'x-api-key': secret,
      'anthropic-version': version && /^\d{4}-\d{2}-\d{2}$/.test(version) ? version : ANTHROPIC_VERSION,
    };
  },
  // Usage is in message_start and message_delta of every stream.
  streamUsageOption: false,
};
