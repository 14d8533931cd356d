'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { SelectField } from '@/components/ui/select-field';
import { TextField } from '@/components/ui/text-field';
import { errorMessage, fieldError } from '@/lib/api/errors';
import { modelsQueryOptions } from '@/lib/api/models';
import type { PolicySubject } from '@/lib/api/policy';
import { useAddGrant } from './hooks/use-add-grant';
import { PolicyFormModal } from './policy-form-modal';

const OTHER = '__other__';

/** Pick a model of the organization, or type a slug (a model may be added to the catalog later). */
export function AddGrantModal({
  open,
  onClose,
  orgId,
  subject,
  subjectName,
  granted,
}: {
  open: boolean;
  onClose: () => void;
  orgId: string;
  subject: PolicySubject;
  subjectName: string;
  granted: readonly string[];
}) {
  const models = useQuery({ ...modelsQueryOptions(orgId), enabled: open });
  const add = useAddGrant(orgId, subject);
  const [choice, setChoice] = useState('');
  const [slug, setSlug] = useState('');
  const [clientError, setClientError] = useState<string | undefined>();

  const available = (models.data ?? []).filter((m) => !granted.includes(m.slug));
  // Without a catalog to pick from (still loading, failed or all granted), typing is the way.
  const typing = choice === OTHER || (models.isSuccess && available.length === 0) || models.isError;
  const model = typing ? slug.trim() : choice;

  const onSubmit = () => {
    if (model === '') {
      setClientError(typing ? 'Type a model slug' : 'Choose a model');
      return;
    }
    setClientError(undefined);
    add.mutate(model, { onSuccess: onClose });
  };

  const apiFieldError = fieldError(add.error, 'model');

  return (
    <PolicyFormModal
      open={open}
      onClose={onClose}
      title={`Add grant: ${subjectName}`}
      description="A grant lets the keys of this user (or of the group's members) use the model."
      submitLabel="Add grant"
      mutation={add}
      onSubmit={onSubmit}
    >
      {models.isError && (
        <p className="muted">
          Could not load the models ({errorMessage(models.error)}): type the slug instead.
        </p>
      )}
      {!models.isError && (
        <SelectField
          label="Model"
          name="model-choice"
          value={choice}
          disabled={models.isPending}
          onChange={(event) => {
            setChoice(event.target.value);
            setClientError(undefined);
          }}
          error={typing ? undefined : (clientError ?? apiFieldError)}
          hint={
            models.isSuccess && available.length === 0
              ? 'Every model of the organization is granted already; type another slug below.'
              : undefined
          }
        >
          <option value="">{models.isPending ? 'Loading models…' : 'Choose a model'}</option>
          {available.map((m) => (
            <option key={m.id} value={m.slug}>
              {m.slug}
              {m.enabled ? '' : ' (disabled)'}
            </option>
          ))}
          <option value={OTHER}>Other: type a slug…</option>
        </SelectField>
      )}
      {typing && (
        <TextField
          label="Model slug"
          name="model"
          autoComplete="off"
          spellCheck={false}
          value={slug}
          onChange={(event) => {
            setSlug(event.target.value);
            setClientError(undefined);
          }}
          error={clientError ?? apiFieldError}
        />
      )}
    </PolicyFormModal>
  );
}
