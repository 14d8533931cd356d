import type { ProviderConfig } from './types.js';
import { apiUrl, num } from './types.js';

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
  usageFromJson(body) {
    const usage = (body as { usage?: { input_tokens?: unknown; output_tokens?: unknown } } | null)?.usage;
    if (!usage || typeof usage !== 'object') return null;
    return { inputTokens: num(usage.input_tokens), outputTokens: num(usage.output_tokens) };
  },
  chunkMarker: '"content_block_delta"',
  usageFromEvent(event, acc) {
    const e = event as {
      type?: string;
      message?: { usage?: { input_tokens?: unknown; output_tokens?: unknown } };
      usage?: { output_tokens?: unknown; input_tokens?: unknown };
    } | null;
    if (!e || typeof e !== 'object') return;
    if (e.type === 'message_start' && e.message?.usage) {
      acc.inputTokens = num(e.message.usage.input_tokens);
      acc.outputTokens = num(e.message.usage.output_tokens);
      if (acc.inputTokens > 0) acc.reported = true;
    } else if (e.type === 'message_delta' && e.usage) {
      // Cumulative counts.
      const out = num(e.usage.output_tokens);
      if (out > 0) {
        acc.outputTokens = out;
        acc.reported = true;
      }
      const input = num(e.usage.input_tokens);
      if (input > 0) acc.inputTokens = input;
    } else if (e.type === 'content_block_delta') {
      acc.chunks++;
    }
  },
};
