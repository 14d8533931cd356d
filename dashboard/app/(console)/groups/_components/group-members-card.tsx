'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, useId, useState } from 'react';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { FormModal } from '@/components/ui/form-modal';
import { FormErrors } from '@/components/ui/form-parts';
import { ResourceTable } from '@/components/ui/resource-table';
import { SectionCard } from '@/components/ui/section-card';
import { SelectField } from '@/components/ui/select-field';
import { errorMessage } from '@/lib/api/errors';
import type { GroupDetail, GroupMember } from '@/lib/api/groups';
import { allMembersQueryOptions } from '@/lib/api/users';
import { formatDate } from '@/lib/format';
import { useFreshDialog } from '../../_components/use-fresh-dialog';
import { useAddGroupMember } from '../hooks/use-add-group-member';
import { useRemoveGroupMember } from '../hooks/use-remove-group-member';
import styles from './groups.module.css';

export function GroupMembersCard({
  orgId,
  group,
  isAdmin,
}: {
  orgId: string;
  group: GroupDetail;
  isAdmin: boolean;
}) {
  const addDialog = useFreshDialog();
  const [removing, setRemoving] = useState<GroupMember | null>(null);
  const remove = useRemoveGroupMember(orgId, group.id);

  return (
    <SectionCard
      id="group-members"
      title="Members"
      actions={
        isAdmin && (
          <button type="button" className="button button-small" onClick={addDialog.show}>
            Add member
          </button>
        )
      }
    >
      {group.members.length === 0 ? (
        <p className="muted">
          No members yet.
          {isAdmin ? ' Use Add member: the group’s grants, limits and budgets then apply to their keys.' : ''}
        </p>
      ) : (
        <ResourceTable
          caption={<>Members of {group.name}</>}
          columns={['Name', 'Email', 'Role', 'Added']}
          actions={isAdmin}
        >
          {group.members.map((member) => (
            <tr key={member.id}>
              <td>
                {isAdmin ? (
                  <Link href={`/users/${encodeURIComponent(member.id)}`}>{member.name}</Link>
                ) : (
                  member.name
                )}
              </td>
              <td className={styles.email}>{member.email}</td>
              <td>
                <span className={member.role === 'admin' ? 'badge badge-admin' : 'badge'}>{member.role}</span>
              </td>
              <td>{formatDate(member.addedAt)}</td>
              {isAdmin && (
                <td className={styles.actions}>
                  <button
                    type="button"
                    className="button button-small"
                    onClick={() => {
                      remove.reset();
                      setRemoving(member);
                    }}
                  >
                    Remove<span className="visually-hidden"> {member.name} from the group</span>
                  </button>
                </td>
              )}
            </tr>
          ))}
        </ResourceTable>
      )}
      {isAdmin && (
        <AddMemberModal
          key={addDialog.key}
          open={addDialog.open}
          onClose={addDialog.close}
          orgId={orgId}
          group={group}
        />
      )}
      <ConfirmDialog
        open={removing !== null}
        title="Remove from group"
        message={
          <>
            Remove <strong>{removing?.name}</strong> from {group.name}? They stay in the organization; the
            group&apos;s grants, limits and budgets stop applying to their keys.
          </>
        }
        confirmLabel="Remove from group"
        busy={remove.isPending}
        error={remove.error}
        onClose={() => setRemoving(null)}
        onConfirm={() => {
          if (removing) remove.mutate(removing, { onSuccess: () => setRemoving(null) });
        }}
      />
    </SectionCard>
  );
}

function AddMemberModal({
  open,
  onClose,
  orgId,
  group,
}: {
  open: boolean;
  onClose: () => void;
  orgId: string;
  group: GroupDetail;
}) {
  const members = useQuery({ ...allMembersQueryOptions(orgId), enabled: open });
  const add = useAddGroupMember(orgId, group.id);
  const [userId, setUserId] = useState('');
  const [clientError, setClientError] = useState<string | undefined>();
  const formId = useId();
  const inGroup = new Set(group.members.map((m) => m.id));
  const candidates = (members.data ?? []).filter((m) => !inGroup.has(m.id));

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const member = candidates.find((m) => m.id === userId);
    if (!member) {
      setClientError('Choose a member');
      return;
    }
    setClientError(undefined);
    add.mutate(member, { onSuccess: onClose });
  };

  return (
    <FormModal
      open={open}
      onClose={onClose}
      title={`Add member to ${group.name}`}
      formId={formId}
      submitLabel="Add member"
      busy={add.isPending}
      submitDisabled={!members.isSuccess || candidates.length === 0}
    >
      <form id={formId} className="form" onSubmit={onSubmit} noValidate>
        <FormErrors error={add.error} general={add.isError} />
        {members.isError ? (
          <div className="alert alert-block" role="alert">
            <span>{errorMessage(members.error, 'Could not load the members.')}</span>
            <button type="button" className="button button-small" onClick={() => void members.refetch()}>
              Try again
            </button>
          </div>
        ) : members.isSuccess && candidates.length === 0 ? (
          <p className="muted">
            Every member of the organization is in this group already. Invite more people on the{' '}
            <Link href="/users">Users</Link> page.
          </p>
        ) : (
          <SelectField
            label="Member"
            name="userId"
            value={userId}
            disabled={members.isPending}
            onChange={(event) => {
              setUserId(event.target.value);
              setClientError(undefined);
            }}
            error={clientError}
          >
            <option value="">{members.isPending ? 'Loading members…' : 'Choose a member'}</option>
            {candidates.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name} ({m.email})
              </option>
            ))}
          </SelectField>
        )}
      </form>
    </FormModal>
  );
}
