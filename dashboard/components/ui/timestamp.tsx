import { formatDate, formatDateTime, formatRelative } from '@/lib/format';

/** A moment as a date ("Nov 23, 2026") or, with `relative`, as "3 minutes ago"; the full UTC time on hover. */
export function Timestamp({
  value,
  relative = false,
  now,
  className,
}: {
  /** ISO 8601, as the API sends it. */
  value: string;
  relative?: boolean;
  /** What "ago" counts from (default: now). */
  now?: number;
  className?: string;
}) {
  return (
    <time className={className} dateTime={value} title={formatDateTime(value)}>
      {relative ? formatRelative(value, now) : formatDate(value)}
    </time>
  );
}
