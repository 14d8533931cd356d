'use client';

import { type ReactNode, useId } from 'react';
import { FormModal } from '@/components/ui/form-modal';
import { FormErrors } from '@/components/ui/form-parts';
import { isApiError } from '@/lib/api/client';
import { otherFieldErrors } from '@/lib/api/errors';
import styles from './policy.module.css';

/**
 * The editor of one part of a user's or group's policy: a form in a modal that saves with one mutation.
 * A 400 names its fields (each input shows its own); anything else is one message for the form, and with
 * `shownFields` the field errors no input shows are listed too.
 */
export function PolicyFormModal({
  open,
  onClose,
  title,
  description,
  size,
  submitLabel,
  mutation,
  shownFields,
  onSubmit,
  children,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  description: string;
  size?: 'normal' | 'wide';
  submitLabel: string;
  mutation: { error: unknown; isError: boolean; isPending: boolean };
  shownFields?: readonly string[];
  onSubmit: () => void;
  children: ReactNode;
}) {
  const formId = useId();
  const { error } = mutation;
  const general = mutation.isError && !(isApiError(error) && error.details?.length);
  return (
    <FormModal
      open={open}
      onClose={onClose}
      title={title}
      description={description}
      size={size}
      formId={formId}
      submitLabel={submitLabel}
      busy={mutation.isPending}
    >
      <form
        id={formId}
        className={styles.formStack}
        onSubmit={(event) => {
          event.preventDefault();
          onSubmit();
        }}
        noValidate
      >
        <FormErrors
          error={error}
          general={general}
          others={shownFields ? otherFieldErrors(error, shownFields) : []}
        />
        {children}
      </form>
    </FormModal>
  );
}
