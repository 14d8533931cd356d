'use client';

import { ROLES, type Role } from '@portcullis/shared/auth';
import { useRouter } from 'next/navigation';
import { type FormEvent, useId, useState } from 'react';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { SectionCard } from '@/components/ui/section-card';
import { errorMessage } from '@/lib/api/errors';
import type { MemberDetail } from '@/lib/api/users';
import { useChangeRole } from '../hooks/use-change-role';
import { useRemoveMember } from '../hooks/use-remove-member';
import { useSetMemberStatus } from '../hooks/use-set-member-status';
import styles from './users.module.css';

/** Admin actions on a member: role, suspension, removal. Each error shows next to its action. */
export function MemberActions({
  orgId,
  member,
  isSelf,
}: {
  orgId: string;
  member: MemberDetail;
  isSelf: boolean;
}) {
  const router = useRouter();
  const roleId = useId();
  const [role, setRole] = useState<Role>(member.role);
  const changeRole = useChangeRole(orgId, member.id);
  const setStatus = useSetMemberStatus(orgId, member.id);
  const remove = useRemoveMember(orgId, member.id);
  const [confirming, setConfirming] = useState<'suspend' | 'reactivate' | 'remove' | null>(null);

  const onRole = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    changeRole.mutate(role);
  };
  const suspended = member.status === 'suspended';
  const name = isSelf ? 'yourself' : member.name;

  return (
    <SectionCard id="member-actions" title="Membership" className={styles.dangerZone}>
      <div className={styles.dangerActions}>
        <form className={styles.roleForm} onSubmit={onRole}>
          <div className="field">
            <label htmlFor={roleId}>Role</label>
            <select
              id={roleId}
              value={role}
              onChange={(event) => {
                setRole(event.target.value as Role);
                changeRole.reset();
              }}
              aria-describedby={changeRole.isError ? `${roleId}-error` : undefined}
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r === 'admin' ? 'Admin' : 'Member'}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="button" disabled={role === member.role || changeRole.isPending}>
            {changeRole.isPending && <span className="spinner" aria-hidden="true" />}
            Change role
          </button>
        </form>
        {changeRole.isError && (
          <p className="alert" role="alert" id={`${roleId}-error`}>
            {errorMessage(changeRole.error)}
          </p>
        )}

        <div className={styles.dangerItem}>
          <p className="muted">
            {suspended
              ? 'Suspended: their sessions and keys are refused in this organization. Reactivating restores the keys exactly as they were.'
              : 'Suspending refuses their sessions and every key of theirs at once, and keeps everything for a later reactivation.'}
          </p>
          <button
            type="button"
            className={suspended ? 'button' : 'button button-danger'}
            onClick={() => {
              setStatus.reset();
              setConfirming(suspended ? 'reactivate' : 'suspend');
            }}
          >
            {suspended ? 'Reactivate' : 'Suspend'}
          </button>
        </div>

        <div className={styles.dangerItem}>
          <p className="muted">
            Removing takes them out of the organization: their API keys here are deleted, their grants, limits
            and group memberships go. Their usage history and audit trail stay.
          </p>
          <button
            type="button"
            className="button button-danger"
            onClick={() => {
              remove.reset();
              setConfirming('remove');
            }}
          >
            Remove from organization
          </button>
        </div>
      </div>

      <ConfirmDialog
        open={confirming === 'suspend' || confirming === 'reactivate'}
        title={confirming === 'reactivate' ? `Reactivate ${member.name}` : `Suspend ${member.name}`}
        message={
          confirming === 'reactivate'
            ? `Reactivate ${name}? Their sessions work again and their keys come back in the states they had.`
            : `Suspend ${name}? Their sessions and all ${member.keys.data.length} of their keys are refused at once until you reactivate them.`
        }
        confirmLabel={confirming === 'reactivate' ? 'Reactivate' : 'Suspend'}
        danger={confirming !== 'reactivate'}
        busy={setStatus.isPending}
        error={setStatus.error}
        onClose={() => setConfirming(null)}
        onConfirm={() => {
          if (confirming === 'suspend' || confirming === 'reactivate')
            setStatus.mutate(confirming, { onSuccess: () => setConfirming(null) });
        }}
      />
      <ConfirmDialog
        open={confirming === 'remove'}
        title={`Remove ${member.name}`}
        message={
          <>
            Remove <strong>{member.name}</strong> ({member.email}) from the organization? Their{' '}
            {member.keys.data.length === 1 ? 'API key' : `${member.keys.data.length} API keys`} here will be
            deleted and stop working at once. This cannot be undone; you can invite them again later.
          </>
        }
        confirmLabel="Remove from organization"
        busy={remove.isPending}
        error={remove.error}
        onClose={() => setConfirming(null)}
        onConfirm={() =>
          remove.mutate(member.name, {
            onSuccess: () => {
              setConfirming(null);
              router.replace(isSelf ? '/' : '/users');
            },
          })
        }
      />
    </SectionCard>
  );
}
