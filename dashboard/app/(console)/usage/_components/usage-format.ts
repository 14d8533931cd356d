import type { UsageBucket } from '@/lib/api/usage';
import { formatUsd } from '@/lib/format';

const small = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumSignificantDigits: 3,
});

/**
 * USD for spend: cents and up as usual, and fractions of a cent (one request to a cheap model)
 * with three significant digits, so they do not all read "$0.00".
 */
export const formatSpend = (usd: number): string => {
  if (usd === 0) return '$0.00';
  return Math.abs(usd) < 0.01 ? small.format(usd) : formatUsd(usd);
};

const day = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const hour = new Intl.DateTimeFormat('en-US', {
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: 'UTC',
});

/**
 * A bucket's label, short enough for a chart axis: "Nov 23" for days; "14:00" for hours, and the
 * date at midnight, where the day changes (UTC, as the API buckets them). Hourly ranges span at most
 * 24 whole hours, so no two bars share a label.
 */
export const formatBucket = (start: string, bucket: UsageBucket): string => {
  const date = new Date(start);
  if (bucket === 'day' || date.getUTCHours() === 0) return day.format(date);
  return hour.format(date);
};

/** `part` of `whole` as a 0…1 share; 0 when there is nothing to share. */
export const shareOf = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);
