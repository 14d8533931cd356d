'use client';

import type { ReactNode } from 'react';
import { errorMessage } from '@/lib/api/errors';
import { Modal } from './modal';

interface ConfirmDialogProps {
  open: boolean;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  busy?: boolean;
  /** The failed attempt's error, shown in the dialog so the user sees why nothing happened. */
  error?: unknown;
  danger?: boolean;
}

/** "Are you sure?" with the action's own words on the button and its error in place. */
export function ConfirmDialog({
  open,
  title,
  message,
  confirmLabel,
  onConfirm,
  onClose,
  busy = false,
  error,
  danger = true,
}: ConfirmDialogProps) {
  return (
    <Modal
      open={open}
      title={title}
      onClose={onClose}
      description={message}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button
            type="button"
            className={`button ${danger ? 'button-danger' : 'button-primary'}`}
            onClick={onConfirm}
            disabled={busy}
          >
            {busy && <span className="spinner" aria-hidden="true" />}
            {confirmLabel}
          </button>
        </>
      }
    >
      {error !== undefined && error !== null && (
        <p className="alert" role="alert">
          {errorMessage(error)}
        </p>
      )}
    </Modal>
  );
}
