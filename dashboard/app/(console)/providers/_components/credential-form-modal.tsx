'use client';

import { PROVIDERS, type Provider } from '@portcullis/shared/api-keys';
import type { ProviderCredentialView } from '@portcullis/shared/providers';
import { type FormEvent, useId, useState } from 'react';
import { FormAlert } from '@/components/ui/form-alert';
import { FormModal } from '@/components/ui/form-modal';
import { SelectField } from '@/components/ui/select-field';
import { TextField } from '@/components/ui/text-field';
import { fieldError } from '@/lib/api/errors';
import { PROVIDER_LABELS } from '@/lib/api/providers';
import { useOrg } from '@/lib/org-context';
import { useCreateOrUpdate } from '@/lib/use-create-or-update';
import { useCreateCredential } from '../hooks/use-create-credential';
import { useUpdateCredential } from '../hooks/use-update-credential';
import { type ConfigField, configFields } from './config-fields';
import styles from './providers.module.css';

/** Create (credential null) or edit one provider credential. */
export function CredentialFormModal({
  open,
  credential,
  onClose,
}: {
  open: boolean;
  credential: ProviderCredentialView | null;
  onClose: () => void;
}) {
  const formId = useId();
  const { org } = useOrg();
  const create = useCreateCredential(org.id);
  const update = useUpdateCredential(org.id);
  const save = useCreateOrUpdate({ item: credential, create, update, onClose });

  return (
    <FormModal
      open={open}
      title={credential ? `Edit ${credential.name}` : 'Add provider credential'}
      onClose={save.close}
      formId={formId}
      submitLabel={credential ? 'Save changes' : 'Add credential'}
      busy={save.busy}
    >
      <CredentialForm formId={formId} credential={credential} error={save.error} onSubmit={save.submit} />
    </FormModal>
  );
}

type ConfigValues = Partial<Record<ConfigField, string>>;

function CredentialForm({
  formId,
  credential,
  error,
  onSubmit,
}: {
  formId: string;
  credential: ProviderCredentialView | null;
  error: unknown;
  onSubmit: (body: Record<string, unknown>) => void;
}) {
  const [name, setName] = useState(credential?.name ?? '');
  const [provider, setProvider] = useState<Provider>(credential?.provider ?? 'openai');
  const [secret, setSecret] = useState('');
  // Values of every provider's fields are kept while the user switches providers, so nothing typed is lost.
  const [config, setConfig] = useState<ConfigValues>(() => ({ ...(credential?.config ?? {}) }));
  const fields = configFields(provider);

  const configBody = () => {
    const out: ConfigValues = {};
    for (const field of fields) {
      const value = config[field.name]?.trim();
      if (value) out[field.name] = value;
    }
    return out;
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const nextConfig = configBody();
    if (!credential) {
      onSubmit({ name, provider, secret, config: nextConfig });
      return;
    }
    const body: Record<string, unknown> = {};
    if (name !== credential.name) body.name = name;
    if (secret !== '') body.secret = secret;
    const configChanged = fields.some(
      (field) => (nextConfig[field.name] ?? '') !== (credential.config[field.name] ?? ''),
    );
    // `config` replaces the whole config, so it is sent complete, and only when something changed.
    if (configChanged) body.config = nextConfig;
    onSubmit(body);
  };

  const shown = ['name', 'provider', 'secret', 'config', ...fields.map((f) => `config.${f.name}`)];
  // `config` with no sub-field (e.g. unknown keys) is listed by the alert; sub-fields show under inputs.
  const shownFields = shown.filter((f) => f !== 'config');

  return (
    <form id={formId} className="form" onSubmit={submit} noValidate>
      <FormAlert error={error} shownFields={shownFields} />
      <TextField
        label="Name"
        name="name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={fieldError(error, 'name')}
        placeholder="openai-production"
        autoComplete="off"
        required
      />
      {credential ? (
        <div className={styles.providerFixed}>
          <TextField label="Provider" name="provider" value={PROVIDER_LABELS[credential.provider]} readOnly />
          <p className="field-hint">A credential keeps its provider; add a new credential to use another.</p>
        </div>
      ) : (
        <SelectField
          label="Provider"
          name="provider"
          value={provider}
          onChange={(e) => setProvider(e.target.value as Provider)}
          error={fieldError(error, 'provider')}
        >
          {PROVIDERS.map((p) => (
            <option key={p} value={p}>
              {PROVIDER_LABELS[p]}
            </option>
          ))}
        </SelectField>
      )}
      <div className="field">
        <TextField
          label={credential ? 'Replace secret' : 'Secret'}
          name="secret"
          type="password"
          value={secret}
          onChange={(e) => setSecret(e.target.value)}
          error={fieldError(error, 'secret')}
          autoComplete="new-password"
          placeholder={credential ? `Leave blank to keep ${credential.secretPreview}` : 'sk-…'}
          required={!credential}
        />
        <p className="field-hint">
          {credential
            ? 'Leave blank to keep the current secret. A new one takes effect on every gateway.'
            : 'Encrypted at rest and never shown again; only a short preview is.'}
        </p>
      </div>
      {fields.length > 0 && (
        <fieldset className="form">
          <legend>{PROVIDER_LABELS[provider]} settings</legend>
          {fields.map((field) => (
            <div className="field" key={`${provider}-${field.name}`}>
              <TextField
                label={field.required ? field.label : `${field.label} (optional)`}
                name={`config.${field.name}`}
                value={config[field.name] ?? ''}
                onChange={(e) => setConfig((c) => ({ ...c, [field.name]: e.target.value }))}
                error={fieldError(error, `config.${field.name}`)}
                placeholder={field.placeholder}
                autoComplete="off"
                required={field.required}
              />
              {field.hint && <p className="field-hint">{field.hint}</p>}
            </div>
          ))}
        </fieldset>
      )}
    </form>
  );
}
