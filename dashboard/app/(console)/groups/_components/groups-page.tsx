'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { ErrorAlert, Loading } from '@/components/ui/query-state';
import { ResourceTable } from '@/components/ui/resource-table';
import { type GroupView, groupsQueryOptions } from '@/lib/api/groups';
import { formatDate, formatNumber } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { useFreshDialog } from '../../_components/use-fresh-dialog';
import { useCreateGroup } from '../hooks/use-create-group';
import { useDeleteGroup } from '../hooks/use-delete-group';
import { useRenameGroup } from '../hooks/use-rename-group';
import { GroupNameModal } from './group-name-modal';
import styles from './groups.module.css';

/** Admins manage every group; members see the groups they are in, read-only. */
export function GroupsPage() {
  const { org, isAdmin } = useOrg();
  const router = useRouter();
  const query = useQuery(groupsQueryOptions(org.id));
  const create = useCreateGroup(org.id);
  const rename = useRenameGroup(org.id);
  const remove = useDeleteGroup(org.id);
  const [modal, setModal] = useState<{ kind: 'create' } | { kind: 'rename'; group: GroupView } | null>(null);
  // The dialog stays mounted after closing, so the browser hands focus back to the button that opened it.
  const dialog = useFreshDialog();
  const [deleting, setDeleting] = useState<GroupView | null>(null);

  const openCreate = () => {
    create.reset();
    setModal({ kind: 'create' });
    dialog.show();
  };

  return (
    <div className="page-stack">
      <PageHeader
        title="Groups"
        description={
          isAdmin
            ? 'Groups carry model grants, rate limits and budgets that apply to every key of their members.'
            : 'The groups you are in. Their grants, limits and budgets apply to your keys.'
        }
        actions={
          isAdmin && (
            <button type="button" className="button button-primary" onClick={openCreate}>
              Create group
            </button>
          )
        }
      />
      {query.isPending ? (
        <Loading rows={4} label="Loading groups…" />
      ) : query.isError ? (
        <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />
      ) : query.data.length === 0 ? (
        isAdmin ? (
          <EmptyState
            title="No groups yet"
            action={
              <button type="button" className="button button-primary" onClick={openCreate}>
                Create group
              </button>
            }
          >
            Create a group (a team, a project), add members, then give it model grants, limits and budgets
            once instead of per person.
          </EmptyState>
        ) : (
          <EmptyState title="You are not in any group">
            An admin of {org.name} can add you to a group when your team needs shared access or limits.
          </EmptyState>
        )
      ) : (
        <ResourceTable
          caption="Groups"
          columns={['Name', { key: 'Members', label: 'Members', className: 'num' }, 'Created']}
          actions={isAdmin}
        >
          {query.data.map((group) => {
            const href = `/groups/${encodeURIComponent(group.id)}`;
            return (
              <tr
                key={group.id}
                className="clickable"
                onClick={(event) => {
                  if ((event.target as HTMLElement).closest('a, button')) return;
                  router.push(href);
                }}
              >
                <td>
                  <Link href={href} className={styles.name}>
                    {group.name}
                  </Link>
                </td>
                <td className="num">{formatNumber(group.memberCount)}</td>
                <td>{formatDate(group.createdAt)}</td>
                {isAdmin && (
                  <td className={styles.actions}>
                    <button
                      type="button"
                      className="button button-small"
                      onClick={() => {
                        rename.reset();
                        setModal({ kind: 'rename', group });
                        dialog.show();
                      }}
                    >
                      Rename<span className="visually-hidden"> {group.name}</span>
                    </button>
                    <button
                      type="button"
                      className="button button-small button-danger"
                      onClick={() => {
                        remove.reset();
                        setDeleting(group);
                      }}
                    >
                      Delete<span className="visually-hidden"> {group.name}</span>
                    </button>
                  </td>
                )}
              </tr>
            );
          })}
        </ResourceTable>
      )}

      {modal?.kind === 'create' ? (
        <GroupNameModal
          key={dialog.key}
          open={dialog.open}
          onClose={dialog.close}
          title="Create group"
          submitLabel="Create group"
          pending={create.isPending}
          error={create.error}
          onSubmit={(name) =>
            create.mutate(name, {
              onSuccess: (group) => {
                dialog.close();
                router.push(`/groups/${encodeURIComponent(group.id)}`);
              },
            })
          }
        />
      ) : modal?.kind === 'rename' ? (
        <GroupNameModal
          key={dialog.key}
          open={dialog.open}
          onClose={dialog.close}
          title={`Rename ${modal.group.name}`}
          submitLabel="Rename"
          initialName={modal.group.name}
          pending={rename.isPending}
          error={rename.error}
          onSubmit={(name) => rename.mutate({ id: modal.group.id, name }, { onSuccess: dialog.close })}
        />
      ) : null}
      <DeleteGroupDialog group={deleting} onClose={() => setDeleting(null)} mutation={remove} />
    </div>
  );
}

export function DeleteGroupDialog({
  group,
  onClose,
  mutation,
  onDeleted,
}: {
  group: Pick<GroupView, 'id' | 'name' | 'memberCount'> | null;
  onClose: () => void;
  mutation: ReturnType<typeof useDeleteGroup>;
  onDeleted?: () => void;
}) {
  return (
    <ConfirmDialog
      open={group !== null}
      title="Delete group"
      message={
        <>
          Delete <strong>{group?.name}</strong>? Its{' '}
          {group?.memberCount === 1 ? 'member' : `${group?.memberCount} members`} stay in the organization,
          but lose the group&apos;s grants, limits and budgets at once. This cannot be undone.
        </>
      }
      confirmLabel="Delete group"
      busy={mutation.isPending}
      error={mutation.error}
      onClose={onClose}
      onConfirm={() => {
        if (group)
          mutation.mutate(group, {
            onSuccess: () => {
              onClose();
              onDeleted?.();
            },
          });
      }}
    />
  );
}
