'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { ErrorAlert, Loading } from '@/components/ui/query-state';
import { RequireAdmin } from '@/components/ui/require-admin';
import { StatusDot } from '@/components/ui/status-dot';
import { isApiError } from '@/lib/api/client';
import { userQueryOptions } from '@/lib/api/users';
import { formatDate, formatNumber, formatUsd } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { BudgetCard } from '../../_components/policy/budget-card';
import { GrantsCard } from '../../_components/policy/grants-card';
import { pickLimits } from '../../_components/policy/limit-fields';
import { RateLimitCard } from '../../_components/policy/rate-limit-card';
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

  if (query.isPending) {
    return (
      <div className="page-stack">
        <BackLink isAdmin={isAdmin} />
        <Loading rows={8} label="Loading user…" />
      </div>
    );
  }
  if (query.isError) {
    const notFound = isApiError(query.error) && query.error.status === 404;
    return (
      <div className="page-stack">
        <BackLink isAdmin={isAdmin} />
        {notFound ? (
          <div className="empty-state">
            <h1>User not found</h1>
            <p className="muted">
              This person is not a member of {org.name}: they may have been removed, or the link is wrong.
            </p>
          </div>
        ) : (
          <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />
        )}
      </div>
    );
  }

  const member = query.data;
  const subject = { type: 'user' as const, id: member.id };
  const totals = member.usage.totals;
  return (
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

      <div className="grid-2">
        <RateLimitCard
          orgId={org.id}
          subject={subject}
          subjectName={member.name}
          limits={pickLimits(member.limits)}
          budgets={member.budgets}
          canEdit={isAdmin}
        />
        <BudgetCard
          orgId={org.id}
          subject={subject}
          subjectName={member.name}
          limits={pickLimits(member.limits)}
          budgets={member.budgets}
          canEdit={isAdmin}
        />
        <GrantsCard
          orgId={org.id}
          subject={subject}
          subjectName={member.name}
          grants={member.grants}
          canEdit={isAdmin}
          note={
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
