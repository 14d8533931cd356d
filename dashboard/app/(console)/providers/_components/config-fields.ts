import type { Provider } from '@portcullis/shared/api-keys';
import {
  CREDENTIAL_CONFIG_SCHEMAS,
  type CredentialConfig,
  GEMINI_OPENAI_BASE_URL,
} from '@portcullis/shared/providers';

export type ConfigField = keyof CredentialConfig;

export interface ConfigFieldSpec {
  name: ConfigField;
  label: string;
  required: boolean;
  placeholder?: string;
  hint?: string;
}

const LABELS: Record<ConfigField, string> = {
  baseUrl: 'Base URL',
  endpoint: 'Endpoint',
  apiVersion: 'API version',
  deployment: 'Deployment',
  projectId: 'Project ID',
};

const DETAILS: Partial<
  Record<Provider, Partial<Record<ConfigField, { placeholder?: string; hint?: string }>>>
> = {
  openai: {
    baseUrl: { placeholder: 'https://api.openai.com/v1', hint: 'Leave blank for api.openai.com.' },
    projectId: { placeholder: 'proj_…', hint: 'Sent as OpenAI-Project; optional.' },
  },
  azure_openai: {
    endpoint: { placeholder: 'https://my-resource.openai.azure.com' },
    apiVersion: { placeholder: '2024-10-21' },
    deployment: { hint: "Optional: without it, each model's upstream model is the deployment name." },
  },
  anthropic: {
    baseUrl: { placeholder: 'https://api.anthropic.com', hint: 'Leave blank for api.anthropic.com.' },
  },
  gemini: {
    baseUrl: {
      placeholder: GEMINI_OPENAI_BASE_URL,
      hint: "Leave blank for Gemini's OpenAI-compatible endpoint.",
    },
  },
  openai_compatible: {
    baseUrl: { placeholder: 'https://llm.internal.example/v1', hint: 'Including /v1 if the server has it.' },
  },
};

/**
 * The config fields of a provider, read from the shared per-provider schema (the same one the control
 * plane validates with), so a field added there shows up here.
 */
export const configFields = (provider: Provider): ConfigFieldSpec[] => {
  const shape = CREDENTIAL_CONFIG_SCHEMAS[provider].shape as Record<
    string,
    { safeParse: (v: unknown) => { success: boolean } }
  >;
  return Object.keys(shape).map((key) => {
    const name = key as ConfigField;
    return {
      name,
      label: LABELS[name] ?? key,
      // A field that accepts `undefined` (optional or defaulted) may stay blank.
      required: !shape[key]?.safeParse(undefined).success,
      ...DETAILS[provider]?.[name],
    };
  });
};

/** One line for the list: where the credential points. */
export const configSummary = (config: CredentialConfig): string => {
  const parts = [
    config.baseUrl ?? config.endpoint,
    config.deployment ? `deployment ${config.deployment}` : undefined,
    config.apiVersion ? `API ${config.apiVersion}` : undefined,
    config.projectId ? `project ${config.projectId}` : undefined,
  ].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? parts.join(' · ') : 'Provider default';
};
