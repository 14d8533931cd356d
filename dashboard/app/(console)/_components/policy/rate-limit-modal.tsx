'use client';

import type { Limits } from '@portcullis/shared/api-keys';
import { useState } from 'react';
import { TextField } from '@/components/ui/text-field';
import { fieldError } from '@/lib/api/errors';
import { usePutLimits } from './hooks/use-put-limits';
import { LIMIT_FIELDS, LIMIT_LABELS, type LimitField, storedBudgets } from './limit-fields';
import type { PolicyModalProps } from './policy-card';
import { PolicyFormModal } from './policy-form-modal';

type Draft = Record<LimitField, string>;

const toDraft = (limits: Limits): Draft => {
  const draft = {} as Draft;
  for (const field of LIMIT_FIELDS) {
    const value = limits[field];
    draft[field] = value === null || value === undefined ? '' : String(value);
  }
  return draft;
};

/** Blank is "no limit"; anything else goes to the API as a number, which says what is wrong with it. */
const toLimits = (draft: Draft): Limits => {
  const limits = {} as Limits;
  for (const field of LIMIT_FIELDS) {
    const text = draft[field].trim();
    limits[field] = text === '' ? null : Number(text);
  }
  return limits;
};

/** Mount it anew for each opening (a changing `key`): the draft starts from what is stored then. */
export function RateLimitModal({ open, onClose, ...policy }: PolicyModalProps) {
  const { orgId, subject, subjectName, limits, budgets } = policy;
  const [draft, setDraft] = useState<Draft>(() => toDraft(limits));
  const put = usePutLimits(orgId, subject, `Rate limit of ${subjectName} saved`);

  const onSubmit = () => {
    // Budgets go back exactly as they are: the PUT replaces the whole policy.
    put.mutate({ ...toLimits(draft), budgets: storedBudgets(budgets) }, { onSuccess: onClose });
  };

  return (
    <PolicyFormModal
      open={open}
      onClose={onClose}
      title={`Edit rate limit: ${subjectName}`}
      description="Leave a field blank for no limit. The strictest limit of the key, its owner and the owner's groups applies."
      submitLabel="Save rate limit"
      mutation={put}
      shownFields={LIMIT_FIELDS}
      onSubmit={onSubmit}
    >
      <div className="field-row">
        {LIMIT_FIELDS.map((field) => (
          <TextField
            key={field}
            label={LIMIT_LABELS[field].label}
            name={field}
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            placeholder="No limit"
            value={draft[field]}
            onChange={(event) => setDraft((d) => ({ ...d, [field]: event.target.value }))}
            error={fieldError(put.error, field)}
          />
        ))}
      </div>
    </PolicyFormModal>
  );
}
