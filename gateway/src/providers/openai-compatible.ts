import { openAiLike } from './openai.js';
import type { ProviderConfig } from './types.js';

/** Any OpenAI-wire-format upstream (vLLM, Ollama, Together…): the credential's baseUrl is required. */
export const openaiCompatible: ProviderConfig = openAiLike('openai_compatible', null);

/** Gemini through Google's OpenAI-compatible endpoint. */
export const gemini: ProviderConfig = openAiLike(
  'gemini',
  'https://generativelanguage.googleapis.com/v1beta/openai',
);
