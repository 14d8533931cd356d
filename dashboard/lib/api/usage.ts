import type { UsageBucket, UsageReport, UsageSums } from '@portcullis/shared/usage';
import { queryOptions } from '@tanstack/react-query';
import { api } from './client';
import { keyKeys } from './keys';
import { listAll } from './list-all';

export type { UsageBucket, UsageReport, UsageSums };

/** The presets of the range picker; `custom` uses the `from`/`to` dates. */
export const USAGE_RANGES = ['24h', '7d', '30d', 'custom'] as const;
export type UsageRange = (typeof USAGE_RANGES)[number];

export const USAGE_RANGE_LABELS: Record<UsageRange, string> = {
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  custom: 'Custom range',
};

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const PRESETS: Record<Exclude<UsageRange, 'custom'>, { ms: number; bucket: UsageBucket }> = {
  '24h': { ms: DAY_MS, bucket: 'hour' },
  '7d': { ms: 7 * DAY_MS, bucket: 'day' },
  '30d': { ms: 30 * DAY_MS, bucket: 'day' },
};

/**
 * What the usage page asks for. Relative ranges stay relative in the cache key (`range: '24h'`), so
 * the key does not change every millisecond; the dates are computed when the request is sent.
 */
export interface UsageFilters {
  range: UsageRange;
  /** `YYYY-MM-DD` (UTC), custom range only. */
  from?: string;
  /** `YYYY-MM-DD` (UTC), inclusive, custom range only. */
  to?: string;
  keyId?: string;
  userId?: string;
  groupId?: string;
  model?: string;
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
export const isDay = (value: string | undefined): value is string =>
  value !== undefined && DAY_PATTERN.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));

/** The API's `from`, `to` and `bucket` for a range; null when a custom range is incomplete. */
export const resolveRange = (
  filters: Pick<UsageFilters, 'range' | 'from' | 'to'>,
  now = Date.now(),
): { from: string; to: string; bucket: UsageBucket } | null => {
  if (filters.range !== 'custom') {
    const preset = PRESETS[filters.range];
    const size = preset.bucket === 'hour' ? HOUR_MS : DAY_MS;
    // Whole buckets: from the start of the next hour (day) a range ago, so 24 hours are 24 bars, each
    // hour of the day once, rather than 25 with the same hour at both ends.
    const from = Math.ceil((now - preset.ms) / size) * size;
    return { from: new Date(from).toISOString(), to: new Date(now).toISOString(), bucket: preset.bucket };
  }
  if (!isDay(filters.from) || !isDay(filters.to)) return null;
  const from = Date.parse(`${filters.from}T00:00:00Z`);
  // The end day is inclusive: the range runs to the next midnight.
  const to = Date.parse(`${filters.to}T00:00:00Z`) + DAY_MS;
  // A single day reads better by the hour.
  const bucket: UsageBucket = to - from <= DAY_MS ? 'hour' : 'day';
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket };
};

export const usageKeys = {
  all: ['usage'] as const,
  reports: (orgId: string) => [...usageKeys.all, orgId, 'report'] as const,
  report: (orgId: string, filters: UsageFilters) => [...usageKeys.reports(orgId), filters] as const,
};

export const usageQueryOptions = (orgId: string, filters: UsageFilters) =>
  queryOptions({
    queryKey: usageKeys.report(orgId, filters),
    queryFn: ({ signal }) => {
      const range = resolveRange(filters);
      const { keyId, userId, groupId, model } = filters;
      return api.getUsage({ org: orgId, query: { keyId, userId, groupId, model, ...range }, signal });
    },
  });

/**
 * Every key the caller may see (admins: the organization's; members: their own), by name: the usage
 * filter and the overview's count need all of them, not the keys page's 25. Under `keyKeys.lists`,
 * so whatever invalidates the key lists refreshes it too.
 */
export const allKeysQueryOptions = (orgId: string) =>
  queryOptions({
    queryKey: [...keyKeys.lists(orgId), 'all'] as const,
    queryFn: ({ signal }) =>
      listAll((page) => api.listKeys({ org: orgId, query: { sort: 'name', order: 'asc', ...page }, signal })),
  });
