'use client';

import type { Limits } from '@portcullis/shared/api-keys';
import type { BudgetView } from '@portcullis/shared/policy';
import { useState } from 'react';
import type { PolicySubject } from '@/lib/api/policy';
import { formatNumber } from '@/lib/format';
import { LIMIT_FIELDS, LIMIT_LABELS } from './limit-fields';
import styles from './policy.module.css';
import { RateLimitModal } from './rate-limit-modal';

/**
 * A user's or group's rate limits, with Edit for admins. Blank means no limit of this subject's
 * own (a key, the user or a group may still set one: the strictest applies).
 */
export function RateLimitCard({
  orgId,
  subject,
  subjectName,
  limits,
  budgets,
  canEdit,
}: {
  orgId: string;
  subject: PolicySubject;
  subjectName: string;
  limits: Limits;
  /** Sent back unchanged: the PUT replaces rate limits and budgets together. */
  budgets: readonly BudgetView[];
  canEdit: boolean;
}) {
  const [editing, setEditing] = useState(false);
  // A new key per opening: the form starts from the stored values and never loses typing to a refetch.
  const [opened, setOpened] = useState(0);
  const none = LIMIT_FIELDS.every((field) => limits[field] === null || limits[field] === undefined);
  return (
    <section className="card" aria-labelledby={`rate-limit-${subject.id}`}>
      <div className={styles.cardHeader}>
        <h2 id={`rate-limit-${subject.id}`}>Rate Limit</h2>
        {canEdit && (
          <button
            type="button"
            className="button button-small"
            onClick={() => {
              setOpened((n) => n + 1);
              setEditing(true);
            }}
          >
            Edit<span className="visually-hidden"> rate limit</span>
          </button>
        )}
      </div>
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
      <RateLimitModal
        key={opened}
        open={editing}
        onClose={() => setEditing(false)}
        orgId={orgId}
        subject={subject}
        subjectName={subjectName}
        limits={limits}
        budgets={budgets}
      />
    </section>
  );
}
