'use client';

import type { ProviderCredentialView } from '@portcullis/shared/providers';
import { DeleteDialog } from '@/components/ui/delete-dialog';
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

  return (
    <DeleteDialog
      target={credential}
      title="Delete provider credential"
      remove={remove}
      variables={({ id, name }, force) => ({ id, name, force })}
      onClose={onClose}
      message={({ name, usedBy: dependents }) => (
        <>
          <p>
            Are you sure you want to delete &apos;{name}&apos;? Gateways stop using its secret at once. This
            action cannot be undone.
          </p>
          {dependents.length > 0 && (
            <div className="alert">
              <p>
                {dependents.length === 1 ? '1 model uses' : `${dependents.length} models use`} this
                credential: <strong>{dependents.map((d) => d.slug).join(', ')}</strong>. Deleting it disables{' '}
                {dependents.length === 1 ? 'that model' : 'those models'}: they are deleted with it, and
                requests for them fail with model_not_found.
              </p>
            </div>
          )}
        </>
      )}
      conflictMessage={(error) => (
        <>
          The control plane refused: models still use this credential
          {conflictModels(error).length > 0 && ` (${conflictModels(error).join(', ')})`}. Choose “Delete
          anyway” to delete it together with them.
        </>
      )}
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
