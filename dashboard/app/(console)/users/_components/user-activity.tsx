'use client';

import { useQuery } from '@tanstack/react-query';
import { BarChart, type BarDatum } from '@/components/ui/bar-chart';
import { ErrorAlert, Loading } from '@/components/ui/query-state';
import { SectionCard } from '@/components/ui/section-card';
import { type UsageReport, usageQueryOptions } from '@/lib/api/usage';
import { formatNumber, formatUsd } from '@/lib/format';
import styles from './users.module.css';

const DAY_MS = 86_400_000;
const dayLabel = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** One bar per UTC day of the report's range, zero where nothing happened (the API lists only active days). */
const daily = (report: UsageReport, value: (row: UsageReport['data'][number]) => number): BarDatum[] => {
  const byDay = new Map(report.data.map((row) => [Math.floor(Date.parse(row.start) / DAY_MS), row]));
  const first = Math.floor(Date.parse(report.from) / DAY_MS);
  const last = Math.ceil(Date.parse(report.to) / DAY_MS) - 1;
  const bars: BarDatum[] = [];
  for (let day = first; day <= last; day++) {
    const row = byDay.get(day);
    bars.push({ label: dayLabel.format(new Date(day * DAY_MS)), value: row ? value(row) : 0 });
  }
  return bars;
};

/** Requests, tokens and spend per day over the last 30 days. */
export function UserActivity({ orgId, userId }: { orgId: string; userId: string }) {
  const query = useQuery(usageQueryOptions(orgId, { range: '30d', userId }));
  return (
    <SectionCard id="user-activity" title="Activity (last 30 days, UTC)">
      {query.isPending ? (
        <Loading rows={4} label="Loading activity…" />
      ) : query.isError ? (
        <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <div className={styles.charts}>
          <BarChart
            title="Requests per day"
            data={daily(query.data, (r) => r.requests)}
            format={formatNumber}
          />
          <BarChart
            title="Tokens per day"
            data={daily(query.data, (r) => r.inputTokens + r.outputTokens)}
            format={formatNumber}
          />
          <BarChart title="Spend per day" data={daily(query.data, (r) => r.costUsd)} format={formatUsd} />
        </div>
      )}
    </SectionCard>
  );
}
