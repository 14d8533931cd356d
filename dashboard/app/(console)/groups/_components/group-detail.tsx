'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { ErrorAlert, Loading } from '@/components/ui/query-state';
import { isApiError } from '@/lib/api/client';
import { groupQueryOptions } from '@/lib/api/groups';
import { formatDate } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { BudgetCard } from '../../_components/policy/budget-card';
import { GrantsCard } from '../../_components/policy/grants-card';
import { pickLimits } from '../../_components/policy/limit-fields';
import { RateLimitCard } from '../../_components/policy/rate-limit-card';
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
  const [renaming, setRenaming] = useState(false);
  const [renameKey, setRenameKey] = useState(0);
  const [deleting, setDeleting] = useState(false);

  const back = (
    <p>
      <Link href="/groups">← All groups</Link>
    </p>
  );
  if (query.isPending) {
    return (
      <div className="page-stack">
        {back}
        <Loading rows={8} label="Loading group…" />
      </div>
    );
  }
  if (query.isError) {
    const notFound = isApiError(query.error) && query.error.status === 404;
    return (
      <div className="page-stack">
        {back}
        {notFound ? (
          <div className="empty-state">
            <h1>Group not found</h1>
            <p className="muted">
              {isAdmin
                ? 'It may have been deleted, or the link is wrong.'
                : 'It may have been deleted, or you are not one of its members.'}
            </p>
          </div>
        ) : (
          <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />
        )}
      </div>
    );
  }

  const group = query.data;
  const subject = { type: 'group' as const, id: group.id };
  return (
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
                setRenameKey((n) => n + 1);
                setRenaming(true);
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
        <RateLimitCard
          orgId={org.id}
          subject={subject}
          subjectName={group.name}
          limits={pickLimits(group.limits)}
          budgets={group.limits.budgets}
          canEdit={isAdmin}
        />
        <BudgetCard
          orgId={org.id}
          subject={subject}
          subjectName={group.name}
          limits={pickLimits(group.limits)}
          budgets={group.limits.budgets}
          canEdit={isAdmin}
        />
        <GrantsCard
          orgId={org.id}
          subject={subject}
          subjectName={group.name}
          grants={group.grants}
          canEdit={isAdmin}
        />
      </div>

      <GroupNameModal
        key={renameKey}
        open={renaming}
        onClose={() => setRenaming(false)}
        title={`Rename ${group.name}`}
        submitLabel="Rename"
        initialName={group.name}
        pending={rename.isPending}
        error={rename.error}
        onSubmit={(name) => rename.mutate({ id: group.id, name }, { onSuccess: () => setRenaming(false) })}
      />
      <DeleteGroupDialog
        group={deleting ? group : null}
        onClose={() => setDeleting(false)}
        mutation={remove}
        onDeleted={() => router.replace('/groups')}
      />
    </div>
  );
}
