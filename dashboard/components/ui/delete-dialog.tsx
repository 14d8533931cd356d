'use client';

import type { UseMutationResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { isApiError } from '@/lib/api/client';
import { ConfirmDialog } from './confirm-dialog';

/**
 * Confirms deleting `target` (open while it is set) with the page's delete mutation, closing on success
 * and clearing the error on close. With `conflictMessage`, a 409 (dependents still use the target) turns
 * the button into "Delete anyway", which sends the delete again with `force`.
 */
export function DeleteDialog<T, V, D>({
  target,
  title,
  confirmLabel = 'Delete',
  message,
  conflictMessage,
  remove,
  variables,
  onClose,
}: {
  target: T | null;
  title: string;
  confirmLabel?: string;
  message: (target: T) => ReactNode;
  /** Why the control plane refused (the 409's error at hand); forced deletes are offered only with it. */
  conflictMessage?: (error: unknown) => ReactNode;
  remove: UseMutationResult<D, Error, V>;
  variables: (target: T, force: boolean) => V;
  onClose: () => void;
}) {
  const conflict = conflictMessage !== undefined && isApiError(remove.error) && remove.error.status === 409;
  const close = () => {
    remove.reset();
    onClose();
  };

  return (
    <ConfirmDialog
      open={target !== null}
      title={title}
      message={
        target !== null &&
        (conflictMessage ? (
          <div className="form">
            {message(target)}
            {conflict && (
              <p className="alert" role="alert">
                {conflictMessage(remove.error)}
              </p>
            )}
          </div>
        ) : (
          message(target)
        ))
      }
      confirmLabel={conflict ? 'Delete anyway' : confirmLabel}
      busy={remove.isPending}
      error={conflict ? undefined : remove.error}
      onClose={close}
      onConfirm={() => {
        if (target !== null) remove.mutate(variables(target, conflict), { onSuccess: close });
      }}
    />
  );
}
