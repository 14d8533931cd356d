'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { DetailPageState } from '@/components/ui/detail-state';
import { groupQueryOptions } from '@/lib/api/groups';
import { formatDate } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { PolicyCards } from '../../_components/policy/policy-cards';
import { useFreshDialog } from '../../_components/use-fresh-dialog';
import { useDeleteGroup } from '../hooks/use-delete-group';
import { useRenameGroup } from '../hooks/use-rename-group';
import { GroupMembersCard } from './group-members-card';
import { GroupNameModal } from './group-name-modal';
import { DeleteGroupDialog } from './groups-page';

export function GroupDetailPage({ groupId }: { groupId: string }) {
  const { org, isAdmin } = useOrg();
  const router = useRouter();
  const query = useQuery(groupQueryOptions(org.id, groupId));
  const rename = useRenameGroup(org.id);
  const remove = useDeleteGroup(org.id);
  const renameDialog = useFreshDialog();
  const [deleting, setDeleting] = useState(false);

  const back = (
    <p>
      <Link href="/groups">← All groups</Link>
    </p>
  );
  return (
    <DetailPageState
      query={query}
      back={back}
      loadingLabel="Loading group…"
      notFoundTitle="Group not found"
      notFoundMessage={
        isAdmin
          ? 'It may have been deleted, or the link is wrong.'
          : 'It may have been deleted, or you are not one of its members.'
      }
    >
      {(group) => (
        <div className="page-stack">
          {back}
          <div className="page-header">
            <div>
              <h1>{group.name}</h1>
              <p className="muted">
                {group.memberCount === 1 ? '1 member' : `${group.memberCount} members`} · created{' '}
                {formatDate(group.createdAt)}
              </p>
            </div>
            {isAdmin && (
              <div className="page-actions">
                <button
                  type="button"
                  className="button"
                  onClick={() => {
                    rename.reset();
                    renameDialog.show();
                  }}
                >
                  Rename
                </button>
                <button
                  type="button"
                  className="button button-danger"
                  onClick={() => {
                    remove.reset();
                    setDeleting(true);
                  }}
                >
                  Delete group
                </button>
              </div>
            )}
          </div>

          <GroupMembersCard orgId={org.id} group={group} isAdmin={isAdmin} />
          <div className="grid-2">
            <PolicyCards
              orgId={org.id}
              subject={{ type: 'group', id: group.id }}
              subjectName={group.name}
              limits={group.limits}
              budgets={group.limits.budgets}
              grants={group.grants}
              canEdit={isAdmin}
            />
          </div>

          <GroupNameModal
            key={renameDialog.key}
            open={renameDialog.open}
            onClose={renameDialog.close}
            title={`Rename ${group.name}`}
            submitLabel="Rename"
            initialName={group.name}
            pending={rename.isPending}
            error={rename.error}
            onSubmit={(name) => rename.mutate({ id: group.id, name }, { onSuccess: renameDialog.close })}
          />
          <DeleteGroupDialog
            group={deleting ? group : null}
            onClose={() => setDeleting(false)}
            mutation={remove}
            onDeleted={() => router.replace('/groups')}
          />
        </div>
      )}
    </DetailPageState>
  );
}
