'use client';

import { MEMBER_STATUSES } from '@portcullis/shared/auth';
import { useInfiniteQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useId, useState } from 'react';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { ErrorAlert, Loading } from '@/components/ui/query-state';
import { RequireAdmin } from '@/components/ui/require-admin';
import { ResourceTable } from '@/components/ui/resource-table';
import { StatusDot } from '@/components/ui/status-dot';
import { fetchUsersPage, type MemberRow, userKeys } from '@/lib/api/users';
import { formatDate, formatRelative } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { useUrlState } from '@/lib/use-url-state';
import { useUrlText } from '@/lib/use-url-text';
import { useFreshDialog } from '../../_components/use-fresh-dialog';
import { useRevokeInvitation } from '../hooks/use-revoke-invitation';
import { InviteUserModal } from './invite-user-modal';
import styles from './users.module.css';

const URL_DEFAULTS = { search: '', status: 'all' };
const SEARCH_DEBOUNCE_MS = 250;

export function UsersPage() {
  return (
    <RequireAdmin>
      <UsersList />
    </RequireAdmin>
  );
}

const STATUS_LABELS: Record<string, string> = {
  all: 'All',
  active: 'Active',
  invited: 'Invited',
  suspended: 'Suspended',
};

function UsersList() {
  const { org, user } = useOrg();
  const [filters, setFilters] = useUrlState(URL_DEFAULTS);
  const invite = useFreshDialog();
  const [cancelling, setCancelling] = useState<MemberRow | null>(null);
  const revoke = useRevokeInvitation(org.id);
  const searchId = useId();
  const statusId = useId();
  // The search box is typed into freely; the URL (and the query) follow after a short pause.
  const [searchText, setSearchText, resetSearchText] = useUrlText(
    filters.search,
    (search) => setFilters({ search }),
    SEARCH_DEBOUNCE_MS,
  );

  const query = useInfiniteQuery({
    queryKey: userKeys.list(org.id, { search: filters.search, status: filters.status }),
    queryFn: ({ pageParam, signal }) =>
      fetchUsersPage(org.id, { search: filters.search, status: filters.status }, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const rows = query.data?.pages.flatMap((page) => page.data) ?? [];
  const filtered = filters.search !== '' || filters.status !== 'all';

  return (
    <div className="page-stack">
      <PageHeader
        title="Users"
        description={`Members of ${org.name} and pending invitations.`}
        actions={
          <button type="button" className="button button-primary" onClick={invite.show}>
            Invite user
          </button>
        }
      />
      <search className="toolbar" aria-label="Filter users">
        <div className="field">
          <label htmlFor={searchId}>Search</label>
          <input
            id={searchId}
            type="search"
            placeholder="Name or email"
            value={searchText}
            onChange={(event) => setSearchText(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={statusId}>Status</label>
          <select
            id={statusId}
            value={filters.status}
            onChange={(event) => setFilters({ status: event.target.value })}
          >
            {['all', ...MEMBER_STATUSES].map((status) => (
              <option key={status} value={status}>
                {STATUS_LABELS[status] ?? status}
              </option>
            ))}
          </select>
        </div>
      </search>

      {query.isPending ? (
        <Loading rows={5} label="Loading users…" />
      ) : !query.data ? (
        <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />
      ) : rows.length === 0 ? (
        filtered ? (
          <EmptyState
            title="No users match"
            action={
              <button
                type="button"
                className="button"
                onClick={() => {
                  resetSearchText('');
                  setFilters({ search: null, status: null });
                }}
              >
                Clear filters
              </button>
            }
          >
            Nobody matches these filters. Clear them, or invite the person you are looking for.
          </EmptyState>
        ) : (
          <EmptyState
            title="No users yet"
            action={
              <button type="button" className="button button-primary" onClick={invite.show}>
                Invite user
              </button>
            }
          >
            Invite people by email: they pick a name and password and join as admins or members.
          </EmptyState>
        )
      ) : (
        <>
          <ResourceTable
            caption="Users and invitations"
            columns={['Name', 'Email', 'Role', 'Status', 'Joined']}
            actions
          >
            {rows.map((row) => (
              <UserRow
                key={row.id}
                row={row}
                isYou={row.id === user.id}
                onCancel={() => {
                  revoke.reset();
                  setCancelling(row);
                }}
              />
            ))}
          </ResourceTable>
          {query.hasNextPage && (
            <div className="pagination">
              <button
                type="button"
                className="button"
                onClick={() => void query.fetchNextPage()}
                disabled={query.isFetchingNextPage}
              >
                {query.isFetchingNextPage && <span className="spinner" aria-hidden="true" />}
                Show more
              </button>
            </div>
          )}
          {query.isFetchNextPageError && (
            <ErrorAlert error={query.error} onRetry={() => void query.fetchNextPage()} />
          )}
        </>
      )}

      <InviteUserModal key={invite.key} open={invite.open} onClose={invite.close} orgId={org.id} />
      <ConfirmDialog
        open={cancelling !== null}
        title="Cancel invitation"
        message={
          <>
            Cancel the invitation for <strong>{cancelling?.email}</strong>? The link they were given stops
            working; you can invite them again later.
          </>
        }
        confirmLabel="Cancel invitation"
        busy={revoke.isPending}
        error={revoke.error}
        onClose={() => setCancelling(null)}
        onConfirm={() => {
          if (cancelling) revoke.mutate(cancelling, { onSuccess: () => setCancelling(null) });
        }}
      />
    </div>
  );
}

function UserRow({ row, isYou, onCancel }: { row: MemberRow; isYou: boolean; onCancel: () => void }) {
  const router = useRouter();
  const invited = row.status === 'invited';
  const href = `/users/${encodeURIComponent(row.id)}`;
  return (
    <tr
      className={invited ? undefined : 'clickable'}
      onClick={(event) => {
        // The name is the keyboard way in; a click anywhere else on a member's row does the same.
        if (invited || (event.target as HTMLElement).closest('a, button')) return;
        router.push(href);
      }}
    >
      <td>
        {invited ? (
          <span className="muted">—</span>
        ) : (
          <Link href={href} className={styles.nameLink}>
            {row.name}
          </Link>
        )}
        {isYou && <span className={`badge ${styles.you}`}>You</span>}
      </td>
      <td className={styles.email}>{row.email}</td>
      <td>
        <span className={row.role === 'admin' ? 'badge badge-admin' : 'badge'}>{row.role}</span>
      </td>
      <td>
        {invited && row.invitation?.expired ? (
          <StatusDot status="expired" label="Invitation expired" />
        ) : (
          <StatusDot status={row.status} />
        )}
      </td>
      <td>
        {invited && row.invitation ? (
          <span className="muted">
            {row.invitation.expired ? 'Expired' : 'Expires'} {formatRelative(row.invitation.expiresAt)}
          </span>
        ) : (
          formatDate(row.joinedAt)
        )}
      </td>
      <td className={styles.actions}>
        {invited && (
          <button type="button" className="button button-small" onClick={onCancel}>
            Cancel invitation<span className="visually-hidden"> for {row.email}</span>
          </button>
        )}
      </td>
    </tr>
  );
}
