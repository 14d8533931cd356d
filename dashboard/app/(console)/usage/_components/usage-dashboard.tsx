'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { ErrorAlert, Loading } from '@/components/ui/query-state';
import { isApiError } from '@/lib/api/client';
import { otherFieldErrors } from '@/lib/api/errors';
import {
  isDay,
  resolveRange,
  USAGE_RANGE_LABELS,
  USAGE_RANGES,
  type UsageFilters,
  type UsageRange,
  usageQueryOptions,
} from '@/lib/api/usage';
import { formatNumber } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { useUrlState } from '@/lib/use-url-state';
import { StatTiles } from './stat-tiles';
import styles from './usage.module.css';
import { UsageBreakdown } from './usage-breakdown';
import { UsageCharts } from './usage-charts';
import { UsageFilterBar } from './usage-filter-bar';
import { formatSpend } from './usage-format';

const URL_DEFAULTS = {
  range: '24h',
  from: '',
  to: '',
  keyId: '',
  userId: '',
  groupId: '',
  model: '',
  by: 'key',
};
export type UsageUrlState = typeof URL_DEFAULTS;

const asRange = (value: string): UsageRange =>
  (USAGE_RANGES as readonly string[]).includes(value) ? (value as UsageRange) : '24h';

/** The filters the API is asked for; members never send user or group (the API scopes them anyway). */
const toFilters = (state: UsageUrlState, isAdmin: boolean): UsageFilters => {
  const range = asRange(state.range);
  const filters: UsageFilters = { range };
  if (range === 'custom') {
    filters.from = state.from;
    filters.to = state.to;
  }
  if (state.keyId) filters.keyId = state.keyId;
  if (state.model) filters.model = state.model;
  if (isAdmin && state.userId) filters.userId = state.userId;
  if (isAdmin && state.groupId) filters.groupId = state.groupId;
  return filters;
};

/** A custom range's own mistakes, found before asking the API. */
const customRangeErrors = (filters: UsageFilters): { from?: string; to?: string } => {
  if (filters.range !== 'custom') return {};
  if (!isDay(filters.from)) return { from: 'Choose a start date' };
  if (!isDay(filters.to)) return { to: 'Choose an end date' };
  if (filters.from > filters.to) return { to: 'Must be on or after the start date' };
  return {};
};

export function UsageDashboard() {
  const { org, isAdmin } = useOrg();
  const [state, setState] = useUrlState(URL_DEFAULTS);
  const filters = toFilters(state, isAdmin);
  const localErrors = customRangeErrors(filters);
  const ready = resolveRange(filters) !== null && !localErrors.from && !localErrors.to;
  const report = useQuery({
    ...usageQueryOptions(org.id, filters),
    enabled: ready,
    // The last report stays on screen while a new filter loads: no flash, no jump.
    placeholderData: keepPreviousData,
  });

  const filtered = Boolean(filters.keyId || filters.model || filters.userId || filters.groupId);
  const data = ready ? report.data : undefined;
  const totals = data?.totals;
  // Null keeps a tile's placeholder while loading; a dash when there is nothing to load.
  const pending = ready && !report.isError ? null : '—';
  // A 400 that names filters is shown under those filters; any other error in an alert with a retry.
  const badRequest = isApiError(report.error) && report.error.status === 400 ? report.error : null;
  const shownFields = [
    'keyId',
    'model',
    ...(isAdmin ? ['userId', 'groupId'] : []),
    ...(filters.range === 'custom' ? ['from', 'to'] : []),
  ];
  const explainedByFields =
    badRequest !== null &&
    (badRequest.details?.length ?? 0) > 0 &&
    otherFieldErrors(badRequest, shownFields).length === 0;

  return (
    <div className="page-stack">
      <PageHeader
        title="Usage"
        description={
          isAdmin
            ? `Requests, tokens and spend across ${org.name}, in UTC.`
            : `Your requests, tokens and spend in ${org.name}, in UTC.`
        }
        actions={
          <button
            type="button"
            className="button"
            onClick={() => void report.refetch()}
            disabled={!ready || report.isFetching}
          >
            {report.isFetching && <span className="spinner" aria-hidden="true" />}
            Refresh
          </button>
        }
      />

      <UsageFilterBar
        state={state}
        range={filters.range}
        onChange={setState}
        isAdmin={isAdmin}
        rangeErrors={localErrors}
        apiError={explainedByFields ? badRequest : null}
      />

      <div aria-busy={report.isFetching || undefined}>
        <StatTiles
          label="Totals"
          tiles={[
            {
              label: 'Requests',
              value: totals ? formatNumber(totals.requests) : pending,
              detail: totals
                ? `${formatNumber(totals.errors)} ${totals.errors === 1 ? 'error' : 'errors'}`
                : '\u00a0',
            },
            {
              label: 'Tokens',
              value: totals ? formatNumber(totals.inputTokens + totals.outputTokens) : pending,
              detail: totals
                ? `${formatNumber(totals.inputTokens)} input · ${formatNumber(totals.outputTokens)} output`
                : '\u00a0',
            },
            {
              label: 'Spend',
              value: totals ? formatSpend(totals.costUsd) : pending,
              detail: USAGE_RANGE_LABELS[filters.range],
            },
          ]}
        />
      </div>

      {!ready ? (
        <p className="muted">Fix the dates above to see usage in that range.</p>
      ) : report.isPending ? (
        <Loading label="Loading usage…" rows={6} />
      ) : report.isError && !explainedByFields ? (
        <ErrorAlert error={report.error} onRetry={() => void report.refetch()} />
      ) : report.isError ? (
        <p className="muted">Fix the filters above to see usage.</p>
      ) : data && data.totals.requests === 0 ? (
        <EmptyState
          title={filtered ? 'No usage matches these filters' : 'No usage in this period'}
          action={
            filtered ? (
              <button
                type="button"
                className="button"
                onClick={() => setState({ keyId: null, userId: null, groupId: null, model: null })}
              >
                Clear filters
              </button>
            ) : (
              <Link className="button button-primary" href="/keys">
                Go to API keys
              </Link>
            )
          }
        >
          {filtered
            ? 'Try a longer range, or clear the filters.'
            : 'Call a gateway with a key to see usage here.'}
        </EmptyState>
      ) : data ? (
        <div
          className={report.isPlaceholderData ? `${styles.results} ${styles.stale}` : styles.results}
          aria-busy={report.isPlaceholderData || undefined}
        >
          {report.isPlaceholderData && (
            <p className="visually-hidden" role="status">
              Updating…
            </p>
          )}
          <UsageCharts report={data} />
          <UsageBreakdown report={data} isAdmin={isAdmin} by={state.by} onBy={(by) => setState({ by })} />
        </div>
      ) : null}
    </div>
  );
}
