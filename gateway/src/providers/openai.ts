import type { ProviderConfig, StreamUsage, Usage } from './types.js';
import { apiUrl, joinUrl, num } from './types.js';

const OPENAI_PATHS = { chat: 'chat/completions', embeddings: 'embeddings', messages: '' } as const;

/** Usage in an OpenAI-shaped response body (chat completions, embeddings). */
export function openAiUsage(body: unknown): Usage | null {
  const usage = (body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
  if (!usage || typeof usage !== 'object') return null;
  return { inputTokens: num(usage.prompt_tokens), outputTokens: num(usage.completion_tokens) };
}

/** OpenAI streams carry usage in a final chunk when `stream_options.include_usage` is set. */
export function openAiStreamUsage(event: unknown, acc: StreamUsage): void {
  const e = event as { usage?: unknown; choices?: { delta?: { content?: unknown } }[] } | null;
  if (!e || typeof e !== 'object') return;
  const usage = openAiUsage(e);
  if (usage && (usage.inputTokens > 0 || usage.outputTokens > 0)) {
    acc.inputTokens = usage.inputTokens;
    acc.outputTokens = usage.outputTokens;
    acc.reported = true;
  }
  if (Array.isArray(e.choices) && typeof e.choices[0]?.delta?.content === 'string') acc.chunks++;
}

/** Content deltas carry `"content":"…"` (JSON as the providers write it, without spaces). */
export const OPENAI_CHUNK_MARKER = '"content":"';

/** Builds an OpenAI-wire-format provider whose requests go to `baseUrl` with a Bearer secret. */
export function openAiLike(id: ProviderConfig['id'], defaultBaseUrl: string | null): ProviderConfig {
  return {
    id,
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
    usageFromJson: openAiUsage,
    usageFromEvent: openAiStreamUsage,
    chunkMarker: OPENAI_CHUNK_MARKER,
  };
}

export const openai: ProviderConfig = openAiLike('openai', 'https://api.openai.com/v1');
