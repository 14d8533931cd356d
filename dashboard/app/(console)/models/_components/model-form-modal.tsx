'use client';

import type { ModelView } from '@portcullis/shared/providers';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, useId, useState } from 'react';
import { FormAlert } from '@/components/ui/form-alert';
import { FormModal } from '@/components/ui/form-modal';
import { ErrorAlert, Loading } from '@/components/ui/query-state';
import { SelectField } from '@/components/ui/select-field';
import { TextField } from '@/components/ui/text-field';
import { fieldError } from '@/lib/api/errors';
import { PROVIDER_LABELS, providerCredentialsQueryOptions } from '@/lib/api/providers';
import { useOrg } from '@/lib/org-context';
import { useCreateOrUpdate } from '@/lib/use-create-or-update';
import { useCreateModel } from '../hooks/use-create-model';
import { useUpdateModel } from '../hooks/use-update-model';
import styles from './models.module.css';

const FIELDS = [
  'slug',
  'credentialId',
  'upstreamModel',
  'inputPricePerMTok',
  'outputPricePerMTok',
  'cacheWritePricePerMTok',
  'cacheReadPricePerMTok',
  'enabled',
];

/** Create (model null) or edit one model of the catalog. */
export function ModelFormModal({
  open,
  model,
  onClose,
}: {
  open: boolean;
  model: ModelView | null;
  onClose: () => void;
}) {
  const formId = useId();
  const { org } = useOrg();
  const create = useCreateModel(org.id);
  const update = useUpdateModel(org.id);
  const save = useCreateOrUpdate({ item: model, create, update, onClose });
  const credentials = useQuery({ ...providerCredentialsQueryOptions(org.id), enabled: open });
  const noCredentials = credentials.isSuccess && credentials.data.length === 0;

  return (
    <FormModal
      open={open}
      title={model ? `Edit ${model.slug}` : 'Add model'}
      onClose={save.close}
      formId={formId}
      submitLabel={model ? 'Save changes' : 'Add model'}
      busy={save.busy}
      submitDisabled={noCredentials}
    >
      {credentials.isPending ? (
        <Loading rows={4} label="Loading provider credentials…" />
      ) : credentials.isError ? (
        <ErrorAlert error={credentials.error} onRetry={() => void credentials.refetch()} />
      ) : noCredentials ? (
        <div className={styles.noCredentials}>
          <p>A model calls its provider with a provider credential, and there is none yet.</p>
          <p>
            <Link href="/providers">Add a provider credential</Link> first, then come back to add the model.
          </p>
        </div>
      ) : (
        <ModelForm
          formId={formId}
          model={model}
          credentials={credentials.data.map((c) => ({
            id: c.id,
            label: `${c.name} (${PROVIDER_LABELS[c.provider]})`,
          }))}
          error={save.error}
          onSubmit={save.submit}
        />
      )}
    </FormModal>
  );
}

/** '' stays '' (so "is required" is reported), anything else becomes a number (NaN is refused by the schema). */
const price = (text: string): number | string => (text.trim() === '' ? '' : Number(text));
/** An optional price: '' is null (the provider's default). */
const optionalPrice = (text: string): number | null => (text.trim() === '' ? null : Number(text));

function ModelForm({
  formId,
  model,
  credentials,
  error,
  onSubmit,
}: {
  formId: string;
  model: ModelView | null;
  credentials: { id: string; label: string }[];
  error: unknown;
  onSubmit: (body: Record<string, unknown>) => void;
}) {
  const [slug, setSlug] = useState(model?.slug ?? '');
  const [credentialId, setCredentialId] = useState(model?.credentialId ?? credentials[0]?.id ?? '');
  const [upstreamModel, setUpstreamModel] = useState(model?.upstreamModel ?? '');
  const [input, setInput] = useState(model ? String(model.inputPricePerMTok) : '');
  const [output, setOutput] = useState(model ? String(model.outputPricePerMTok) : '');
  const [cacheWrite, setCacheWrite] = useState(
    model?.cacheWritePricePerMTok == null ? '' : String(model.cacheWritePricePerMTok),
  );
  const [cacheRead, setCacheRead] = useState(
    model?.cacheReadPricePerMTok == null ? '' : String(model.cacheReadPricePerMTok),
  );
  const [enabled, setEnabled] = useState(model?.enabled ?? true);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next = {
      slug: slug.trim(),
      credentialId,
      upstreamModel: upstreamModel.trim(),
      inputPricePerMTok: price(input),
      outputPricePerMTok: price(output),
      cacheWritePricePerMTok: optionalPrice(cacheWrite),
      cacheReadPricePerMTok: optionalPrice(cacheRead),
      enabled,
    };
    if (!model) {
      onSubmit(next);
      return;
    }
    // Only what changed, so an edit never overwrites someone else's change to another field.
    const body: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(next)) {
      if (value !== model[key as keyof typeof next]) body[key] = value;
    }
    onSubmit(body);
  };

  return (
    <form id={formId} className="form" onSubmit={submit} noValidate>
      <FormAlert error={error} shownFields={FIELDS} />
      <div className="field">
        <TextField
          label="Slug"
          name="slug"
          value={slug}
          onChange={(e) => setSlug(e.target.value)}
          error={fieldError(error, 'slug')}
          placeholder="gpt-4o-mini"
          autoComplete="off"
          required
        />
        <p className="field-hint">
          The name clients send as <code>model</code>.
        </p>
      </div>
      <SelectField
        label="Provider credential"
        name="credentialId"
        value={credentialId}
        onChange={(e) => setCredentialId(e.target.value)}
        error={fieldError(error, 'credentialId')}
      >
        {credentials.map((c) => (
          <option key={c.id} value={c.id}>
            {c.label}
          </option>
        ))}
      </SelectField>
      <TextField
        label="Upstream model"
        name="upstreamModel"
        value={upstreamModel}
        onChange={(e) => setUpstreamModel(e.target.value)}
        error={fieldError(error, 'upstreamModel')}
        placeholder="gpt-4o-mini-2024-07-18"
        autoComplete="off"
        required
      />
      <div className="field-row">
        <TextField
          label="Input price per 1M tokens (USD)"
          name="inputPricePerMTok"
          type="number"
          inputMode="decimal"
          min={0}
          step="any"
          value={input}
          onChange={(e) => setInput(e.target.value)}
          error={fieldError(error, 'inputPricePerMTok')}
          required
        />
        <TextField
          label="Output price per 1M tokens (USD)"
          name="outputPricePerMTok"
          type="number"
          inputMode="decimal"
          min={0}
          step="any"
          value={output}
          onChange={(e) => setOutput(e.target.value)}
          error={fieldError(error, 'outputPricePerMTok')}
          required
        />
      </div>
      <div className="field">
        <div className="field-row">
          <TextField
            label="Cache write per 1M tokens (USD)"
            name="cacheWritePricePerMTok"
            type="number"
            inputMode="decimal"
            min={0}
            step="any"
            value={cacheWrite}
            onChange={(e) => setCacheWrite(e.target.value)}
            error={fieldError(error, 'cacheWritePricePerMTok')}
          />
          <TextField
            label="Cache read per 1M tokens (USD)"
            name="cacheReadPricePerMTok"
            type="number"
            inputMode="decimal"
            min={0}
            step="any"
            value={cacheRead}
            onChange={(e) => setCacheRead(e.target.value)}
            error={fieldError(error, 'cacheReadPricePerMTok')}
          />
        </div>
        <p className="field-hint">
          Optional, for prompt caching. Empty: the provider's usual price — Anthropic bills cache writes at
          1.25× and reads at 0.1× the input price; other providers' cached input is billed at the input price.
        </p>
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Enabled (gateways route requests for it)
      </label>
    </form>
  );
}
