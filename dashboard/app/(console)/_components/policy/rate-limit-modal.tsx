'use client';

import type { Limits } from '@portcullis/shared/api-keys';
import type { BudgetView } from '@portcullis/shared/policy';
import { type FormEvent, useState } from 'react';
import { Modal } from '@/components/ui/modal';
import { TextField } from '@/components/ui/text-field';
import { isApiError } from '@/lib/api/client';
import { errorMessage, fieldError, otherFieldErrors } from '@/lib/api/errors';
import type { PolicySubject } from '@/lib/api/policy';
import { usePutLimits } from './hooks/use-put-limits';
import { LIMIT_FIELDS, LIMIT_LABELS, type LimitField, storedBudgets } from './limit-fields';
import styles from './policy.module.css';

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
export function RateLimitModal({
  open,
  onClose,
  orgId,
  subject,
  subjectName,
  limits,
  budgets,
}: {
  open: boolean;
  onClose: () => void;
  orgId: string;
  subject: PolicySubject;
  subjectName: string;
  limits: Limits;
  budgets: readonly BudgetView[];
}) {
  const [draft, setDraft] = useState<Draft>(() => toDraft(limits));
  const put = usePutLimits(orgId, subject, `Rate limit of ${subjectName} saved`);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    // Budgets go back exactly as they are: the PUT replaces the whole policy.
    put.mutate({ ...toLimits(draft), budgets: storedBudgets(budgets) }, { onSuccess: onClose });
  };

  const formId = `rate-limit-form-${subject.id}`;
  // A 400 names its fields (shown under each input); anything else is one message for the form.
  const general = put.isError && !(isApiError(put.error) && put.error.details?.length);
  const others = otherFieldErrors(put.error, [...LIMIT_FIELDS]);

  return (
    <Modal
      open={open}
      onClose={onClose}
      title={`Edit rate limit: ${subjectName}`}
      description="Leave a field blank for no limit. The strictest limit of the key, its owner and the owner's groups applies."
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={put.isPending}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button button-primary" disabled={put.isPending}>
            {put.isPending && <span className="spinner" aria-hidden="true" />}
            Save rate limit
          </button>
        </>
      }
    >
      <form id={formId} className={styles.formStack} onSubmit={onSubmit} noValidate>
        {general && (
          <p className="alert" role="alert">
            {errorMessage(put.error)}
          </p>
        )}
        {others.length > 0 && (
          <ul className="alert" role="alert">
            {others.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        )}
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
      </form>
    </Modal>
  );
}
