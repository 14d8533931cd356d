'use client';

import type { ProviderCredentialView } from '@portcullis/shared/providers';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { isApiError } from '@/lib/api/client';
import { useOrg } from '@/lib/org-context';
import { useDeleteCredential } from '../hooks/use-delete-credential';

/**
 * Deleting a credential that models use disables them (a forced delete removes them): the dialog says
 * which ones up front. The API refuses with 409 without `force`; the dialog then offers "Delete anyway".
 */
export function DeleteCredentialDialog({
  credential,
  onClose,
}: {
  credential: ProviderCredentialView | null;
  onClose: () => void;
}) {
  const { org } = useOrg();
  const remove = useDeleteCredential(org.id);
  const conflict = isApiError(remove.error) && remove.error.status === 409;
  const close = () => {
    remove.reset();
    onClose();
  };
  const dependents = credential?.usedBy ?? [];

  return (
    <ConfirmDialog
      open={credential !== null}
      title="Delete provider credential"
      message={
        credential && (
          <div className="form">
            <p>
              Are you sure you want to delete &apos;{credential.name}&apos;? Gateways stop using its secret at
              once. This action cannot be undone.
            </p>
            {dependents.length > 0 && (
              <div className="alert">
                <p>
                  {dependents.length === 1 ? '1 model uses' : `${dependents.length} models use`} this
                  credential: <strong>{dependents.map((d) => d.slug).join(', ')}</strong>. Deleting it
                  disables {dependents.length === 1 ? 'that model' : 'those models'}: they are deleted with
                  it, and requests for them fail with model_not_found.
                </p>
              </div>
            )}
            {conflict && (
              <p className="alert" role="alert">
                The control plane refused: models still use this credential
                {conflictModels(remove.error).length > 0 && ` (${conflictModels(remove.error).join(', ')})`}.
                Choose “Delete anyway” to delete it together with them.
              </p>
            )}
          </div>
        )
      }
      confirmLabel={conflict ? 'Delete anyway' : 'Delete'}
      busy={remove.isPending}
      error={conflict ? undefined : remove.error}
      onClose={close}
      onConfirm={() => {
        if (!credential) return;
        remove.mutate({ id: credential.id, name: credential.name, force: conflict }, { onSuccess: close });
      }}
    />
  );
}

/** The dependents a 409 names (`model <slug> (<id>)`), as slugs: the list may have changed since the page loaded. */
const conflictModels = (error: unknown): string[] =>
  isApiError(error)
    ? (error.details ?? [])
        .filter((d) => d.field === 'usedBy')
        .map((d) => d.message.replace(/^model /, '').replace(/ \([^)]*\)$/, ''))
    : [];
