'use client';

import type { ApiKey } from '@portcullis/shared/api-keys';
import { useState } from 'react';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Modal } from '@/components/ui/modal';
import { SecretReveal } from '@/components/ui/secret-reveal';
import type { KeyAction } from '@/lib/api/keys';
import { useDeleteKey } from '../hooks/use-delete-key';
import { useRevokeKey } from '../hooks/use-revoke-key';
import { useRotateKey } from '../hooks/use-rotate-key';
import { EphemeralTokenDialog } from './ephemeral-token-dialog';
import { KeyDetailDialog } from './key-detail-dialog';
import { KeyFormDialog } from './key-form-dialog';

/** The page's own dialog: the create form, a key's details, a delete from the table, or a new key's secret. */
export type KeyDialog =
  | { kind: 'create' }
  | { kind: 'detail'; keyId: string }
  | { kind: 'delete'; key: ApiKey }
  | { kind: 'reveal'; reveal: Reveal }
  | null;

/** A secret shown once. It lives in this state only: closing the dialog forgets it. */
interface Reveal {
  title: string;
  secret: string;
  keyName: string;
}

/** Dialogs opened from the detail dialog, on top of it. */
type Overlay =
  | { kind: 'edit'; key: ApiKey }
  | { kind: 'rotate'; key: ApiKey }
  | { kind: 'revoke'; key: ApiKey }
  | { kind: 'delete'; key: ApiKey }
  | { kind: 'ephemeral'; key: ApiKey }
  | { kind: 'reveal'; reveal: Reveal }
  | null;

export function KeyActionDialogs({
  dialog,
  setDialog,
}: {
  dialog: KeyDialog;
  setDialog: (dialog: KeyDialog) => void;
}) {
  const [overlay, setOverlay] = useState<Overlay>(null);
  const closeAll = () => {
    setOverlay(null);
    setDialog(null);
  };

  const onAction = (action: Exclude<KeyAction, 'activate' | 'deactivate'>, key: ApiKey) =>
    setOverlay({ kind: action === 'ephemeral' ? 'ephemeral' : action, key });

  const deleteTarget =
    overlay?.kind === 'delete' ? overlay.key : dialog?.kind === 'delete' ? dialog.key : null;

  return (
    <>
      <KeyFormDialog
        open={dialog?.kind === 'create'}
        onClose={() => setDialog(null)}
        onCreated={(key, secret) =>
          setDialog({
            kind: 'reveal',
            reveal: { title: 'API key created! Copy it now', secret, keyName: key.name },
          })
        }
      />
      {dialog?.kind === 'detail' && (
        <KeyDetailDialog keyId={dialog.keyId} onClose={closeAll} onAction={onAction} />
      )}
      <KeyFormDialog
        open={overlay?.kind === 'edit'}
        editing={overlay?.kind === 'edit' ? overlay.key : undefined}
        onClose={() => setOverlay(null)}
      />
      <RotateDialog
        apiKey={overlay?.kind === 'rotate' ? overlay.key : null}
        onClose={() => setOverlay(null)}
        onRotated={(key, secret) =>
          setOverlay({
            kind: 'reveal',
            reveal: { title: 'API key rotated! Copy it now', secret, keyName: key.name },
          })
        }
      />
      <RevokeDialog
        apiKey={overlay?.kind === 'revoke' ? overlay.key : null}
        onClose={() => setOverlay(null)}
      />
      <DeleteKeyDialog
        apiKey={deleteTarget}
        onClose={() => (overlay?.kind === 'delete' ? setOverlay(null) : setDialog(null))}
        onDeleted={closeAll}
      />
      <EphemeralTokenDialog
        apiKey={overlay?.kind === 'ephemeral' ? overlay.key : null}
        onClose={() => setOverlay(null)}
      />
      <RevealDialog
        reveal={
          overlay?.kind === 'reveal' ? overlay.reveal : dialog?.kind === 'reveal' ? dialog.reveal : null
        }
        onClose={() => (overlay?.kind === 'reveal' ? setOverlay(null) : setDialog(null))}
      />
    </>
  );
}

function RevealDialog({ reveal, onClose }: { reveal: Reveal | null; onClose: () => void }) {
  return (
    <Modal open={reveal !== null} title={reveal ? `Key “${reveal.keyName}”` : 'API key'} onClose={onClose}>
      {reveal && (
        <SecretReveal
          title={reveal.title}
          secret={reveal.secret}
          secretLabel="API key"
          warning="This key will not be shown again. Make sure to save it securely."
          onDone={onClose}
        />
      )}
    </Modal>
  );
}

/** "Delete API Key", the same from the trash icon and from the detail dialog. */
export function DeleteKeyDialog({
  apiKey,
  onClose,
  onDeleted,
}: {
  apiKey: ApiKey | null;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const remove = useDeleteKey();
  const close = () => {
    remove.reset();
    onClose();
  };
  return (
    <ConfirmDialog
      open={apiKey !== null}
      title="Delete API Key"
      message={
        apiKey ? `Are you sure you want to delete '${apiKey.name}'? This action cannot be undone.` : null
      }
      confirmLabel="Delete"
      busy={remove.isPending}
      error={remove.error}
      onClose={close}
      onConfirm={() => {
        if (!apiKey) return;
        remove.mutate(apiKey, {
          onSuccess: () => {
            remove.reset();
            onDeleted();
          },
        });
      }}
    />
  );
}

function RotateDialog({
  apiKey,
  onClose,
  onRotated,
}: {
  apiKey: ApiKey | null;
  onClose: () => void;
  onRotated: (key: ApiKey, secret: string) => void;
}) {
  const rotate = useRotateKey(onRotated);
  const close = () => {
    rotate.reset();
    onClose();
  };
  return (
    <ConfirmDialog
      open={apiKey !== null}
      title="Rotate API Key"
      message={
        apiKey
          ? `Rotate '${apiKey.name}'? A new secret is issued and the current one stops working at once, at every gateway. Ephemeral tokens issued from it stop working too.`
          : null
      }
      confirmLabel="Rotate key"
      busy={rotate.isPending}
      error={rotate.error}
      onClose={close}
      onConfirm={() => {
        if (apiKey) rotate.mutate(apiKey.id, { onSuccess: () => rotate.reset() });
      }}
    />
  );
}

function RevokeDialog({ apiKey, onClose }: { apiKey: ApiKey | null; onClose: () => void }) {
  const revoke = useRevokeKey();
  const close = () => {
    revoke.reset();
    onClose();
  };
  return (
    <ConfirmDialog
      open={apiKey !== null}
      title="Revoke API Key"
      message={
        apiKey
          ? `Revoke '${apiKey.name}'? It stops working at once and cannot be activated again. This action cannot be undone.`
          : null
      }
      confirmLabel="Revoke"
      busy={revoke.isPending}
      error={revoke.error}
      onClose={close}
      onConfirm={() => {
        if (apiKey) revoke.mutate(apiKey.id, { onSuccess: close });
      }}
    />
  );
}
