import { type ReactNode, type TextareaHTMLAttributes, useId } from 'react';

/** The ids of a control's hint and error, in the given order, for `aria-describedby` ('' when none). */
const describedByIds = (id: string, notes: { hint?: ReactNode; error?: string | undefined }): string =>
  Object.entries(notes)
    .filter(([, note]) => Boolean(note))
    .map(([kind]) => `${id}-${kind}`)
    .join(' ');

/** A control's hint and error under it, with the ids `aria-describedby` points at. */
function FieldNotes({ id, hint, error }: { id: string; hint?: ReactNode; error?: string | undefined }) {
  return (
    <>
      {hint && (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </>
  );
}

/** A labelled textarea with a hint and an error tied to it, like TextField. */
export function TextAreaField({
  label,
  hint,
  error,
  ...textarea
}: Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id'> & {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
}) {
  const id = useId();
  const describedBy = describedByIds(id, { error, hint });
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        spellCheck={false}
        {...textarea}
      />
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

/** A group of controls with a legend, a hint and one error for the group. */
export function FieldGroup({
  legend,
  hint,
  error,
  children,
  className,
}: {
  legend: string;
  hint?: ReactNode;
  error?: string | undefined;
  children: ReactNode;
  className?: string;
}) {
  const id = useId();
  return (
    <fieldset className={className} aria-describedby={describedByIds(id, { hint, error }) || undefined}>
      <legend>{legend}</legend>
      {children}
      <FieldNotes id={id} hint={hint} error={error} />
    </fieldset>
  );
}

export function Checkbox({
  label,
  checked,
  onChange,
  disabled,
}: {
  label: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
  disabled?: boolean;
}) {
  return (
    <label className="checkbox">
      <input
        type="checkbox"
        checked={checked}
        disabled={disabled}
        onChange={(event) => onChange(event.target.checked)}
      />
      {label}
    </label>
  );
}
