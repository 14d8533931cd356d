import { openAiLike } from './openai.js';
import type { ProviderConfig } from './types.js';

/** Any OpenAI-wire-format upstream (vLLM, Ollama, Together…): the credential's baseUrl is required. */
export const openaiCompatible: ProviderConfig = openAiLike('openai_compatible', null);

const openAiCompatGemini = openAiLike('gemini', 'https://generativelanguage.googleapis.com/v1beta/openai');

/** Gemini's OpenAI-compatible endpoint lives under `…/openai/`; everything else is its native API. */
const isOpenAiCompat = (pathname: string) => /\/openai(?:\/|$)/.test(pathname);

/**
 * Gemini: /v1 calls go through Google's OpenAI-compatible endpoint (Bearer); pass-through reaches either
 * that or the native API (`/v1beta/models/<m>:generateContent`, …) relative to the origin, which
 * authenticates with `x-goog-api-key` (a Bearer there would be taken for an OAuth token).
 */
export const gemini: ProviderConfig = {
  ...openAiCompatGemini,
  url(credential, target) {
    if (!('passthrough' in target)) return openAiCompatGemini.url(credential, target);
    // A client's `?key=` would be its own Portcullis key: never sent on.
    const query = new URLSearchParams(target.query);
    query.delete('key');
    return openAiCompatGemini.url(credential, { passthrough: target.passthrough, query: query.toString() });
  },
  authHeaders(secret, credential, incoming, pathname) {
    if (pathname === undefined || isOpenAiCompat(pathname))
      return openAiCompatGemini.authHeaders(secret, credential, incoming, pathname);
    return { 'x-goog-api-key': secret };
  },
  pathModel(path) {
    // `…/models/<name>:<method>` or `…/tunedModels/<name>:<method>`; `models/<name>` alone (get) names none.
    const segs = path.split('/');
    for (let i = 0; i < segs.length - 1; i++) {
      const kind = segs[i];
      if (kind !== 'models' && kind !== 'tunedModels') continue;
      const ref = segs[i + 1] as string;
      const colon = ref.indexOf(':');
      if (colon <= 0) return null;
      const bare = ref.slice(0, colon);
      const method = ref.slice(colon);
      return {
        name: kind === 'models' ? bare : `${kind}/${bare}`,
        replace(upstreamModel) {
          // An upstream name may carry its collection (`tunedModels/x`, `models/x`) or be bare.
          const target = upstreamModel.includes('/') ? upstreamModel : `models/${upstreamModel}`;
          const encoded = target.split('/').map(encodeURIComponent).join('/');
          return [...segs.slice(0, i), `${encoded}${method}`, ...segs.slice(i + 2)].join('/');
        },
      };
    }
    return null;
  },
};
