'use client';

import type { BudgetView } from '@portcullis/shared/policy';
import { formatUsd } from '@/lib/format';
import { useFreshDialog } from '../use-fresh-dialog';
import { BudgetModal } from './budget-modal';
import { PERIOD_LABELS } from './limit-fields';
import styles from './policy.module.css';
import { PolicyCard, type PolicyLimitsProps } from './policy-card';

const progressClass = (share: number): string => {
  if (share >= 1) return `${styles.progressBar} ${styles.progressOver}`;
  if (share >= 0.8) return `${styles.progressBar} ${styles.progressWarning}`;
  return styles.progressBar ?? '';
};

function BudgetItem({ budget }: { budget: BudgetView }) {
  const period = PERIOD_LABELS[budget.period] ?? budget.period;
  const spent = budget.spentUsd;
  const share = spent === undefined ? 0 : spent / budget.limitUsd;
  const percent = Math.round(share * 100);
  return (
    <li className={styles.budgetItem}>
      <div className={styles.budgetTitle}>
        <span>
          {formatUsd(budget.limitUsd)} {period.toLowerCase()}
        </span>
        {spent !== undefined && (
          <span className="muted">
            {formatUsd(spent)} spent ({percent}%)
          </span>
        )}
      </div>
      {spent !== undefined && (
        <div
          className={styles.progress}
          role="progressbar"
          aria-label={`${period} budget spent`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.min(percent, 100)}
          aria-valuetext={`${formatUsd(spent)} of ${formatUsd(budget.limitUsd)}`}
        >
          <div className={progressClass(share)} style={{ width: `${Math.min(share, 1) * 100}%` }} />
        </div>
      )}
      <span className="muted">
        {budget.alertThresholds.length > 0
          ? `Alerts at ${budget.alertThresholds.map((t) => `${t}%`).join(', ')}`
          : 'No alerts'}
      </span>
    </li>
  );
}

/** A user's or group's budgets (at most one per period), each with the current period's spend. */
export function BudgetCard({ canEdit, ...policy }: PolicyLimitsProps & { canEdit: boolean }) {
  const dialog = useFreshDialog();
  const { subject, budgets } = policy;
  return (
    <PolicyCard
      id={`budget-${subject.id}`}
      title="Budget Limit"
      canEdit={canEdit}
      onEdit={dialog.show}
      editLabel="Edit"
      editHint="budget limit"
    >
      {budgets.length === 0 ? (
        <p className={`muted ${styles.emptyNote}`}>
          No budget.{canEdit ? ' Use Edit to cap spend per day, week or month.' : ''}
        </p>
      ) : (
        <ul className={styles.budgetList}>
          {budgets.map((budget) => (
            <BudgetItem key={budget.period} budget={budget} />
          ))}
        </ul>
      )}
      <BudgetModal key={dialog.key} open={dialog.open} onClose={dialog.close} {...policy} />
    </PolicyCard>
  );
}
