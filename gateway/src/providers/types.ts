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
  /**
   * Headers that authenticate to the provider (the client's own credentials are never forwarded).
   * `pathname` (pass-through) is the upstream URL's path: a provider may authenticate its paths
   * differently (Gemini).
   */
  authHeaders(
    secret: string,
    credential: SnapshotCredential,
    incoming: Headers,
    pathname?: string,
  ): Record<string, string>;
  /**
   * Where a pass-through path names a model (Azure `deployments/<name>/…`, Gemini `models/<name>:…`),
   * absent for providers that name models only in the body.
   */
  pathModel?(path: string): PathModel | null;
  /**
   * Its chat/completions streams report usage only when asked (`stream_options.include_usage`, the
   * OpenAI wire format): the gateway asks on the client's behalf.
   */
  streamUsageOption: boolean;
  /**
   * OpenAI-format providers: the field that caps output in a chat request the gateway writes itself
   * (a translated Messages call); `max_tokens` when absent.
   */
  chatOutputCap?: 'max_tokens' | 'max_completion_tokens';
}

/** A model named by a pass-through path. */
export interface PathModel {
  /** The name as written in the path. */
  name: string;
  /** The path with another model's upstream name in its place (and the credential's deployment, Azure). */
  replace(upstreamModel: string, credential: SnapshotCredential): string;
}

/** Joins a base URL and a path without losing the base's own path (`…/v1` + `/chat/completions`). */
export function joinUrl(base: string, path: string, query = ''): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  url.search = query;
  return url;
}

/** An API version segment: `v1`, `v1beta`, `v2alpha1`… */
const VERSION_SEGMENT = /^v\d+(?:(?:alpha|beta)\d*)?$/;

/**
 * A pass-through path (as the provider documents it, relative to its API root) under a credential's
 * base URL, whatever form that takes (with or without the version, behind a vendor prefix):
 * 1. the longest tail of the base's path that the path starts with is not repeated: base `…/v1` +
 *    `v1/chat/completions` → `…/v1/chat/completions`; Groq's `…/openai/v1` + `openai/v1/models`;
 * 2. else a path that starts with a version goes under the base's root, the base's path before its first
 *    version segment: Gemini's `…/v1beta/openai` + `v1beta/models/m:generateContent` → `/v1beta/models/…`;
 * 3. else it is appended, as the paths without a version always were: `…/v1` + `chat/completions`.
 */
export function apiUrl(base: string, path: string, query = ''): URL {
  const url = new URL(base);
  const baseSegs = url.pathname.split('/').filter((s) => s.length > 0);
  const rel = path.replace(/^\/+/, '');
  const segs = rel.split('/');
  let keep = baseSegs.length;
  let overlap = Math.min(baseSegs.length, segs.length);
  for (; overlap > 0; overlap--) {
    let same = true;
    for (let i = 0; i < overlap && same; i++) same = baseSegs[baseSegs.length - overlap + i] === segs[i];
    if (same) break;
  }
  if (overlap > 0) keep = baseSegs.length - overlap;
  else if (VERSION_SEGMENT.test(segs[0] ?? '')) {
    const version = baseSegs.findIndex((s) => VERSION_SEGMENT.test(s));
    if (version !== -1) keep = version;
  }
  url.pathname = `/${[...baseSegs.slice(0, keep), rel].filter((s) => s.length > 0).join('/')}`;
  url.search = query;
  return url;
}

export const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
