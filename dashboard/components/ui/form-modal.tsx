'use client';

import type { ComponentProps } from 'react';
import { FormModalButtons } from './form-parts';
import { Modal } from './modal';

type FormModalProps = Omit<ComponentProps<typeof Modal>, 'footer'> & {
  /** The id of the `<form>` in the body: the footer's submit button submits it. */
  formId: string;
  submitLabel: string;
  /** The save is in flight: both buttons are disabled and the submit button spins. */
  busy: boolean;
  /** Submitting makes no sense yet (e.g. a required choice has no options). */
  submitDisabled?: boolean;
  /** False once the form is done and the body shows its result (a secret shown once has its own Done). */
  showFooter?: boolean;
};

/** A modal whose body is a form: Cancel and the form's submit button, in the form's own words. */
export function FormModal({
  formId,
  submitLabel,
  busy,
  submitDisabled = false,
  showFooter = true,
  onClose,
  ...modal
}: FormModalProps) {
  return (
    <Modal
      {...modal}
      onClose={onClose}
      footer={
        showFooter ? (
          <FormModalButtons
            formId={formId}
            pending={busy}
            submitLabel={submitLabel}
            submitDisabled={submitDisabled}
            onCancel={onClose}
          />
        ) : undefined
      }
    />
  );
}
