'use client';

import { GROUP_NAME_MAX } from '@portcullis/shared/policy';
import { type FormEvent, useId, useState } from 'react';
import { FormModal } from '@/components/ui/form-modal';
import { FormErrors } from '@/components/ui/form-parts';
import { TextField } from '@/components/ui/text-field';
import { isApiError } from '@/lib/api/client';
import { fieldError } from '@/lib/api/errors';

/** Create or rename a group. Mount it anew for each opening (a changing `key`). */
export function GroupNameModal({
  open,
  onClose,
  title,
  submitLabel,
  initialName = '',
  onSubmit,
  pending,
  error,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  submitLabel: string;
  initialName?: string;
  onSubmit: (name: string) => void;
  pending: boolean;
  error: unknown;
}) {
  const [name, setName] = useState(initialName);
  const formId = useId();
  const nameError = fieldError(error, 'name');
  const general =
    error !== null && error !== undefined && !nameError && !(isApiError(error) && error.details?.length);

  return (
    <FormModal
      open={open}
      onClose={onClose}
      title={title}
      formId={formId}
      submitLabel={submitLabel}
      busy={pending}
    >
      <form
        id={formId}
        className="form"
        noValidate
        onSubmit={(event: FormEvent<HTMLFormElement>) => {
          event.preventDefault();
          onSubmit(name);
        }}
      >
        <FormErrors error={error} general={general} />
        <TextField
          label="Group name"
          name="name"
          autoComplete="off"
          maxLength={GROUP_NAME_MAX}
          required
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={nameError}
        />
      </form>
    </FormModal>
  );
}
