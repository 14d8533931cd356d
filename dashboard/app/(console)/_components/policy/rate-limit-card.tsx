'use client';

import { formatNumber } from '@/lib/format';
import { useFreshDialog } from '../use-fresh-dialog';
import { LIMIT_FIELDS, LIMIT_LABELS } from './limit-fields';
import styles from './policy.module.css';
import { PolicyCard, type PolicyLimitsProps } from './policy-card';
import { RateLimitModal } from './rate-limit-modal';

/**
 * A user's or group's rate limits, with Edit for admins. Blank means no limit of this subject's
 * own (a key, the user or a group may still set one: the strictest applies).
 */
export function RateLimitCard({ canEdit, ...policy }: PolicyLimitsProps & { canEdit: boolean }) {
  const dialog = useFreshDialog();
  const { subject, limits } = policy;
  const none = LIMIT_FIELDS.every((field) => limits[field] === null || limits[field] === undefined);
  return (
    <PolicyCard
      id={`rate-limit-${subject.id}`}
      title="Rate Limit"
      canEdit={canEdit}
      onEdit={dialog.show}
      editLabel="Edit"
      editHint="rate limit"
    >
      {none && (
        <p className={`muted ${styles.emptyNote}`}>
          No rate limit of its own.{canEdit ? ' Use Edit to cap requests or tokens per minute.' : ''}
        </p>
      )}
      <dl className="stat-list">
        {LIMIT_FIELDS.map((field) => {
          const value = limits[field];
          return (
            <div key={field} style={{ display: 'contents' }}>
              <dt>{LIMIT_LABELS[field].label}</dt>
              <dd>{value === null || value === undefined ? 'No limit' : formatNumber(value)}</dd>
            </div>
          );
        })}
      </dl>
      <RateLimitModal key={dialog.key} open={dialog.open} onClose={dialog.close} {...policy} />
    </PolicyCard>
  );
}
