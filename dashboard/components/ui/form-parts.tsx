import type { ButtonHTMLAttributes, ReactNode } from 'react';
import { errorMessage } from '@/lib/api/errors';

/** A button that shows a spinner and turns itself off while its action runs. */
export function PendingButton({
  pending,
  disabled,
  type = 'button',
  children,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { pending: boolean; type?: 'button' | 'submit' }) {
  return (
    <button {...rest} type={type} disabled={disabled ?? pending}>
      {pending && <span className="spinner" aria-hidden="true" />}
      {children}
    </button>
  );
}

/**
 * Cancel and submit for a modal's footer (or the end of its form): both are off while the mutation runs.
 * `formId` ties the submit button to a form outside the footer.
 */
export function FormModalButtons({
  formId,
  pending,
  submitLabel,
  submitDisabled,
  onCancel,
}: {
  formId?: string;
  pending: boolean;
  submitLabel: ReactNode;
  /** Off for another reason too (nothing to submit yet); the pending state always turns it off. */
  submitDisabled?: boolean;
  onCancel: () => void;
}) {
  return (
    <>
      <button type="button" className="button" onClick={onCancel} disabled={pending}>
        Cancel
      </button>
      <PendingButton
        type="submit"
        form={formId}
        className="button button-primary"
        pending={pending}
        disabled={pending || submitDisabled}
      >
        {submitLabel}
      </PendingButton>
    </>
  );
}

/**
 * A form's alerts: the error's message when `general` (the fields do not say it), then any field errors
 * the form has no input for.
 */
export function FormErrors({
  error,
  general,
  others = [],
}: {
  error: unknown;
  general: boolean;
  others?: readonly string[];
}) {
  return (
    <>
      {general && (
        <p className="alert" role="alert">
          {errorMessage(error)}
        </p>
      )}
      {others.length > 0 && (
        <ul className="alert" role="alert">
          {others.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </>
  );
}
