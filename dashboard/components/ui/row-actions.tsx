import type { ReactNode } from 'react';
import styles from './resource-table.module.css';
import { TrashIcon } from './trash-icon';

/** The buttons of a row, right-aligned in its last cell. */
export function RowActions({ children }: { children: ReactNode }) {
  return <div className={styles.actions}>{children}</div>;
}

/** A row's small text button, named for its row (`Edit openai-production`). */
export function RowButton({
  label,
  onClick,
  children,
}: {
  label: string;
  onClick: () => void;
  children: ReactNode;
}) {
  return (
    <button type="button" className="button button-small" aria-label={label} onClick={onClick}>
      {children}
    </button>
  );
}

/** A row's delete (or detach) icon button: the accessible name says what it removes. */
export function RowDeleteButton({
  label,
  title = 'Delete',
  onClick,
}: {
  label: string;
  title?: string;
  onClick: () => void;
}) {
  return (
    <button
      type="button"
      className="icon-button icon-button-danger"
      aria-label={label}
      title={title}
      onClick={onClick}
    >
      <TrashIcon />
    </button>
  );
}

/** The Edit and Delete buttons of an editable row, both named for it (`Edit gpt-4o`, `Delete gpt-4o`). */
export function EditDeleteActions({
  name,
  onEdit,
  onDelete,
}: {
  name: string;
  onEdit: () => void;
  onDelete: () => void;
}) {
  return (
    <RowActions>
      <RowButton label={`Edit ${name}`} onClick={onEdit}>
        Edit
      </RowButton>
      <RowDeleteButton label={`Delete ${name}`} onClick={onDelete} />
    </RowActions>
  );
}
