'use client';

import { type BudgetView, POLICY_BUDGET_PERIODS, type PolicyBudget } from '@portcullis/shared/policy';
import { useState } from 'react';
import { SelectField } from '@/components/ui/select-field';
import { TextField } from '@/components/ui/text-field';
import { fieldError } from '@/lib/api/errors';
import { usePutLimits } from './hooks/use-put-limits';
import { PERIOD_LABELS, pickLimits } from './limit-fields';
import styles from './policy.module.css';
import type { PolicyModalProps } from './policy-card';
import { PolicyFormModal } from './policy-form-modal';

interface BudgetDraft {
  /** Stable identity for React while rows are added and removed. */
  rowId: number;
  limitUsd: string;
  period: string;
  thresholds: string;
}

const toDraft = (budget: BudgetView, rowId: number): BudgetDraft => ({
  rowId,
  limitUsd: String(budget.limitUsd),
  period: budget.period,
  thresholds: budget.alertThresholds.join(', '),
});

/** "50, 80 ,100" → [50, 80, 100]; null when a piece is not a number (said under the field, client-side). */
const parseThresholds = (text: string): number[] | null => {
  const parts = text
    .split(',')
    .map((part) => part.trim().replace(/%$/, ''))
    .filter((part) => part !== '');
  const numbers = parts.map(Number);
  return numbers.every((n) => Number.isFinite(n)) ? numbers : null;
};

export function BudgetModal({ open, onClose, ...policy }: PolicyModalProps) {
  const { orgId, subject, subjectName, limits, budgets } = policy;
  const [rows, setRows] = useState<BudgetDraft[]>(() => budgets.map((b, i) => toDraft(b, i)));
  const [nextRowId, setNextRowId] = useState(budgets.length);
  // Checked in the browser only where the input cannot say it (a blank amount, a list that is not
  // numbers); ranges and uniqueness are the API's to judge, shown from its 400 under each field.
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const put = usePutLimits(orgId, subject, `Budgets of ${subjectName} saved`);

  const freePeriod = POLICY_BUDGET_PERIODS.find((p) => !rows.some((r) => r.period === p));
  const update = (rowId: number, patch: Partial<BudgetDraft>) =>
    setRows((all) => all.map((r) => (r.rowId === rowId ? { ...r, ...patch } : r)));

  const onSubmit = () => {
    const errors: Record<string, string> = {};
    const sent: PolicyBudget[] = [];
    for (const row of rows) {
      const thresholds = parseThresholds(row.thresholds);
      if (thresholds === null)
        errors[`${row.rowId}.alertThresholds`] =
          'Enter whole percentages separated by commas, e.g. 50, 80, 100';
      const amount = row.limitUsd.trim() === '' ? Number.NaN : Number(row.limitUsd);
      if (!Number.isFinite(amount)) errors[`${row.rowId}.limitUsd`] = 'Enter the budget in USD, e.g. 100';
      sent.push({
        limitUsd: amount,
        period: row.period as PolicyBudget['period'],
        alertThresholds: thresholds ?? [],
      });
    }
    setClientErrors(errors);
    if (Object.keys(errors).length > 0) return;
    put.mutate({ ...pickLimits(limits), budgets: sent }, { onSuccess: onClose });
  };

  const shown = rows.flatMap((_, i) => [
    `budgets.${i}.limitUsd`,
    `budgets.${i}.period`,
    `budgets.${i}.alertThresholds`,
  ]);
  return (
    <PolicyFormModal
      open={open}
      onClose={onClose}
      title={`Edit budgets: ${subjectName}`}
      description="At most one budget per period. Spend of every key counts against it; requests stop when it is reached."
      size="wide"
      submitLabel="Save budgets"
      mutation={put}
      shownFields={shown}
      onSubmit={onSubmit}
    >
      {rows.length === 0 && <p className="muted">No budget. Add one to cap spend per day, week or month.</p>}
      {rows.map((row, i) => (
        <fieldset key={row.rowId} className={styles.budgetRow}>
          <legend>Budget {i + 1}</legend>
          <TextField
            label="Limit (USD)"
            name={`budgets.${i}.limitUsd`}
            type="number"
            inputMode="decimal"
            min={0}
            step="any"
            value={row.limitUsd}
            onChange={(event) => update(row.rowId, { limitUsd: event.target.value })}
            error={clientErrors[`${row.rowId}.limitUsd`] ?? fieldError(put.error, `budgets.${i}.limitUsd`)}
          />
          <SelectField
            label="Period"
            name={`budgets.${i}.period`}
            value={row.period}
            onChange={(event) => update(row.rowId, { period: event.target.value })}
            error={fieldError(put.error, `budgets.${i}.period`)}
          >
            {POLICY_BUDGET_PERIODS.map((period) => (
              <option key={period} value={period}>
                {PERIOD_LABELS[period] ?? period}
              </option>
            ))}
          </SelectField>
          <TextField
            label="Alert thresholds (%)"
            name={`budgets.${i}.alertThresholds`}
            placeholder="e.g. 50, 80, 100"
            value={row.thresholds}
            onChange={(event) => update(row.rowId, { thresholds: event.target.value })}
            error={
              clientErrors[`${row.rowId}.alertThresholds`] ??
              fieldError(put.error, `budgets.${i}.alertThresholds`)
            }
          />
          <button
            type="button"
            className={`button button-small button-danger ${styles.removeButton}`}
            onClick={() => setRows((all) => all.filter((r) => r.rowId !== row.rowId))}
          >
            Remove<span className="visually-hidden"> budget {i + 1}</span>
          </button>
        </fieldset>
      ))}
      <div>
        <button
          type="button"
          className="button"
          disabled={!freePeriod}
          onClick={() => {
            if (!freePeriod) return;
            setRows((all) => [
              ...all,
              { rowId: nextRowId, limitUsd: '', period: freePeriod, thresholds: '80, 100' },
            ]);
            setNextRowId((n) => n + 1);
          }}
        >
          Add budget
        </button>
        {!freePeriod && <p className="field-hint">Every period has a budget.</p>}
      </div>
    </PolicyFormModal>
  );
}
