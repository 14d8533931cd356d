const dateTime = new Intl.DateTimeFormat('en-US', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
});
const dateOnly = new Intl.DateTimeFormat('en-US', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});
const integer = new Intl.NumberFormat('en-US');
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 4 });
const relative = new Intl.RelativeTimeFormat('en-US', { numeric: 'auto' });

/** Dates are shown in UTC, the API's zone, so two admins in two countries read the same thing. */
export const formatDateTime = (iso: string | null | undefined): string =>
  iso ? `${dateTime.format(new Date(iso))} UTC` : '—';

export const formatDate = (iso: string | null | undefined): string =>
  iso ? dateOnly.format(new Date(iso)) : '—';

export const formatNumber = (value: number | null | undefined): string =>
  value === null || value === undefined ? '—' : integer.format(value);

export const formatUsd = (value: number | null | undefined): string =>
  value === null || value === undefined ? '—' : usd.format(value);

export const formatPercent = (share: number): string => {
  const percent = share * 100;
  if (percent === 0) return '0%';
  if (percent < 0.1) return '<0.1%';
  return `${percent.toFixed(percent < 10 ? 1 : 0)}%`;
};

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "3 minutes ago", "in 2 days"; "just now" under a minute; "Never" for null. */
export const formatRelative = (iso: string | null | undefined, now = Date.now(), never = 'Never'): string => {
  if (!iso) return never;
  const delta = new Date(iso).getTime() - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms) return relative.format(Math.round(delta / ms), unit);
  }
  return 'just now';
};
