'use client';

import { type ReactNode, useState } from 'react';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import type { PolicySubject } from '@/lib/api/policy';
import { useFreshDialog } from '../use-fresh-dialog';
import { AddGrantModal } from './add-grant-modal';
import { useRevokeGrant } from './hooks/use-revoke-grant';
import styles from './policy.module.css';
import { PolicyCard } from './policy-card';

/** The models a user or group has been granted, with Add grant and Revoke for admins. */
export function GrantsCard({
  orgId,
  subject,
  subjectName,
  grants,
  canEdit,
  note,
}: {
  orgId: string;
  subject: PolicySubject;
  subjectName: string;
  grants: readonly string[];
  canEdit: boolean;
  /** Context under the title, e.g. that an admin may use every model anyway. */
  note?: ReactNode;
}) {
  const dialog = useFreshDialog();
  const [revoking, setRevoking] = useState<string | null>(null);
  const revoke = useRevokeGrant(orgId, subject);

  return (
    <PolicyCard
      id={`grants-${subject.id}`}
      title="Model Access Grants"
      canEdit={canEdit}
      onEdit={dialog.show}
      editLabel="Add grant"
    >
      <div className={styles.cardStack}>
        {note && <p className={`muted ${styles.emptyNote}`}>{note}</p>}
        {grants.length === 0 ? (
          <p className={`muted ${styles.emptyNote}`}>
            No models granted.
            {canEdit ? ' Use Add grant to let its keys use a model.' : ' Ask an admin for access to a model.'}
          </p>
        ) : (
          <ul className={styles.grantList} aria-label={`Models granted to ${subjectName}`}>
            {grants.map((model) => (
              <li key={model} className={styles.grantItem}>
                <span className={`mono ${styles.grantModel}`}>{model}</span>
                {canEdit && (
                  <button
                    type="button"
                    className="button button-small button-danger"
                    onClick={() => {
                      revoke.reset();
                      setRevoking(model);
                    }}
                    aria-label={`Revoke ${model}`}
                  >
                    Revoke
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
      <AddGrantModal
        key={dialog.key}
        open={dialog.open}
        onClose={dialog.close}
        orgId={orgId}
        subject={subject}
        subjectName={subjectName}
        granted={grants}
      />
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke model access"
        message={
          <>
            Revoke <strong>{subjectName}</strong>&apos;s access to <span className="mono">{revoking}</span>?
            Keys that rely on this grant stop being able to use the model at once.
          </>
        }
        confirmLabel="Revoke access"
        busy={revoke.isPending}
        error={revoke.error}
        onClose={() => setRevoking(null)}
        onConfirm={() => {
          if (revoking) revoke.mutate(revoking, { onSuccess: () => setRevoking(null) });
        }}
      />
    </PolicyCard>
  );
}
