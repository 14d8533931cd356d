import type { Provider } from '@portcullis/shared/api-keys';
import type { SnapshotCredential } from '@portcullis/shared/snapshot';

/** The unified operations the gateway exposes under /v1. */
export type Operation = 'chat' | 'embeddings' | 'messages';

/** Token usage as counted for rate limits and metering (`inputTokens` includes cached input, see usage.ts). */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/**
 * One provider = one config object: where requests go, how they authenticate, and how its streams
 * report usage. Usage itself is read by shape (usage.ts), since pass-through calls reach more than one
 * API of a provider. Adding a provider touches one file here and the registry in index.ts.
 */
export interface ProviderConfig {
  id: Provider;
  /** Operations reachable through /v1 for models of this provider. */
  operations: readonly Operation[];
  /** The URL for an operation (or a pass-through path + query). */
  url(
    credential: SnapshotCredential,
    target: { op: Operation; upstreamModel: string } | { passthrough: string; query: string },
  ): URL;
  /** Headers that authenticate to the provider (the client's own credentials are never forwarded). */
  authHeaders(secret: string, credential: SnapshotCredential, incoming: Headers): Record<string, string>;
  /**
   * Its chat/completions streams report usage only when asked (`stream_options.include_usage`, the
   * OpenAI wire format): the gateway asks on the client's behalf.
   */
  streamUsageOption: boolean;
}

/** Joins a base URL and a path without losing the base's own path (`…/v1` + `/chat/completions`). */
export function joinUrl(base: string, path: string, query = ''): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  url.search = query;
  return url;
}

export const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
