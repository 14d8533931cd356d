'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { DetailPageState } from '@/components/ui/detail-state';
import { RequireAdmin } from '@/components/ui/require-admin';
import { StatusDot } from '@/components/ui/status-dot';
import { type MemberDetail, userQueryOptions } from '@/lib/api/users';
import { formatDate, formatNumber, formatUsd } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { PolicyCards } from '../../_components/policy/policy-cards';
import { EffectivePolicyCard } from './effective-policy-card';
import { MemberActions } from './member-actions';
import { UserActivity } from './user-activity';
import { UserGroupsCard } from './user-groups-card';
import { UserKeysCard } from './user-keys-card';
import styles from './users.module.css';

/** A member's page: admins see anyone and change things; a member may open their own, read-only. */
export function UserDetailPage({ userId }: { userId: string }) {
  const { user, isAdmin } = useOrg();
  if (!isAdmin && userId !== user.id) return <RequireAdmin>{null}</RequireAdmin>;
  return <UserDetail userId={userId} />;
}

function UserDetail({ userId }: { userId: string }) {
  const { org, user, isAdmin } = useOrg();
  const query = useQuery(userQueryOptions(org.id, userId));
  const isSelf = userId === user.id;

  return (
    <DetailPageState
      query={query}
      back={<BackLink isAdmin={isAdmin} />}
      loadingLabel="Loading user…"
      notFoundTitle="User not found"
      notFoundMessage={`This person is not a member of ${org.name}: they may have been removed, or the link is wrong.`}
    >
      {(member) => (
        <div className="page-stack">
          <BackLink isAdmin={isAdmin} />
          <div className="page-header">
            <div>
              <div className={styles.header}>
                <h1>{member.name}</h1>
                <StatusDot status={member.status} />
                <span className={member.role === 'admin' ? 'badge badge-admin' : 'badge'}>{member.role}</span>
                {isSelf && <span className="badge">You</span>}
              </div>
              <div className={styles.headerMeta}>
                <span>{member.email}</span>
                <span>Joined {formatDate(member.joinedAt)}</span>
              </div>
            </div>
          </div>

          <UsageSummary totals={member.usage.totals} />

          <div className="grid-2">
            <PolicyCards
              orgId={org.id}
              subject={{ type: 'user', id: member.id }}
              subjectName={member.name}
              limits={member.limits}
              budgets={member.budgets}
              grants={member.grants}
              canEdit={isAdmin}
              grantsNote={
                member.role === 'admin'
                  ? 'Admins may use every model; these grants apply if they become a member.'
                  : undefined
              }
            />
            <UserGroupsCard groups={member.groups} isAdmin={isAdmin} />
          </div>

          <EffectivePolicyCard member={member} />
          <UserKeysCard member={member} isSelf={isSelf} />
          <UserActivity orgId={org.id} userId={member.id} />
          {isAdmin && <MemberActions orgId={org.id} member={member} isSelf={isSelf} />}
        </div>
      )}
    </DetailPageState>
  );
}

function BackLink({ isAdmin }: { isAdmin: boolean }) {
  if (!isAdmin) return null;
  return (
    <p>
      <Link href="/users">← All users</Link>
    </p>
  );
}

/** The member's last 30 days in three numbers. */
function UsageSummary({ totals }: { totals: MemberDetail['usage']['totals'] }) {
  return (
    <section className="card" aria-labelledby="usage-30d">
      <h2 id="usage-30d" className="visually-hidden">
        Last 30 days
      </h2>
      <dl className="stat-list">
        <dt>Requests (30 days)</dt>
        <dd>{formatNumber(totals.requests)}</dd>
        <dt>Tokens (30 days)</dt>
        <dd>{formatNumber(totals.inputTokens + totals.outputTokens)}</dd>
        <dt>Spend (30 days)</dt>
        <dd>{formatUsd(totals.costUsd)}</dd>
      </dl>
    </section>
  );
}
