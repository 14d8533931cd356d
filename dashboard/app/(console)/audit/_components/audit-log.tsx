'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { ErrorAlert, Loading } from '@/components/ui/query-state';
import { RequireAdmin } from '@/components/ui/require-admin';
import { type AuditFilters, auditEventsQueryOptions } from '@/lib/api/audit';
import { useOrg } from '@/lib/org-context';
import { useUrlState } from '@/lib/use-url-state';
import styles from './audit.module.css';
import { AuditFilterBar } from './audit-filter-bar';
import { AuditTable } from './audit-table';
import { ChainVerification } from './chain-verification';

const URL_DEFAULTS = { action: '', targetId: '', cursors: '' };

/** The organization's audit trail (admins only), newest first, with the chain's verification. */
export function AuditLog() {
  return (
    <RequireAdmin>
      <AuditLogContent />
    </RequireAdmin>
  );
}

function AuditLogContent() {
  const { org } = useOrg();
  const [state, setState] = useUrlState(URL_DEFAULTS);
  // The cursors of the pages before this one, oldest first: Previous drops the last, Next appends.
  const trail = state.cursors ? state.cursors.split(',') : [];
  const filters: AuditFilters = {};
  if (state.action) filters.action = state.action;
  if (state.targetId) filters.targetId = state.targetId;
  const cursor = trail[trail.length - 1];
  if (cursor) filters.cursor = cursor;

  const events = useQuery({ ...auditEventsQueryOptions(org.id, filters), placeholderData: keepPreviousData });
  const filtered = Boolean(state.action || state.targetId);
  const page = events.data;

  return (
    <div className="page-stack">
      <PageHeader
        title="Audit log"
        description={`Every change in ${org.name}, newest first. Records are chained by hash and cannot be edited.`}
      />
      <ChainVerification />
      <AuditFilterBar
        action={state.action}
        targetId={state.targetId}
        onApply={(patch) => setState({ ...patch, cursors: null })}
      />
      {events.isPending ? (
        <Loading label="Loading the audit log…" rows={6} />
      ) : events.isError ? (
        <ErrorAlert error={events.error} onRetry={() => void events.refetch()} />
      ) : page && page.data.length === 0 && trail.length === 0 ? (
        filtered ? (
          <EmptyState
            title="No events match these filters"
            action={
              <button
                type="button"
                className="button"
                onClick={() => setState({ action: null, targetId: null, cursors: null })}
              >
                Clear filters
              </button>
            }
          >
            Try another action, or check the target id.
          </EmptyState>
        ) : (
          <EmptyState
            title="No events yet"
            action={
              <Link className="button button-primary" href="/keys">
                Go to API keys
              </Link>
            }
          >
            Changes to keys, users, providers and settings are recorded here as they happen.
          </EmptyState>
        )
      ) : page ? (
        <div className={styles.results} aria-busy={events.isFetching || undefined}>
          <AuditTable
            events={page.data}
            onFilterTarget={(targetId) => setState({ targetId, cursors: null })}
          />
          <nav className="pagination" aria-label="Audit log pages">
            <button
              type="button"
              className="button"
              disabled={trail.length === 0 || events.isFetching}
              onClick={() => setState({ cursors: trail.slice(0, -1).join(',') || null })}
            >
              Previous
            </button>
            <span className="muted">
              Page {trail.length + 1}
              {events.isPlaceholderData ? ' (loading…)' : ''}
            </span>
            <button
              type="button"
              className="button"
              disabled={!page.nextCursor || events.isFetching}
              onClick={() => page.nextCursor && setState({ cursors: [...trail, page.nextCursor].join(',') })}
            >
              Next
            </button>
          </nav>
        </div>
      ) : null}
    </div>
  );
}
