import { LIMIT_FIELDS, type Limits } from '@portcullis/shared/api-keys';
import type { BudgetView, PolicyBudget } from '@portcullis/shared/policy';

export type LimitField = (typeof LIMIT_FIELDS)[number];

export const LIMIT_LABELS: Record<LimitField, { label: string; unit: string }> = {
  requestsPerMinute: { label: 'Requests per minute', unit: 'requests/min' },
  tokensPerMinute: { label: 'Tokens per minute', unit: 'tokens/min' },
  inputTokensPerMinute: { label: 'Input tokens per minute', unit: 'input tokens/min' },
  outputTokensPerMinute: { label: 'Output tokens per minute', unit: 'output tokens/min' },
  concurrentRequests: { label: 'Concurrent requests', unit: 'at once' },
};

export { LIMIT_FIELDS };

/** Just the five limit fields (a view may carry more, such as budgets). */
export const pickLimits = (limits: Limits): Limits => ({
  requestsPerMinute: limits.requestsPerMinute ?? null,
  tokensPerMinute: limits.tokensPerMinute ?? null,
  inputTokensPerMinute: limits.inputTokensPerMinute ?? null,
  outputTokensPerMinute: limits.outputTokensPerMinute ?? null,
  concurrentRequests: limits.concurrentRequests ?? null,
});

/** Budgets as the PUT takes them: the view's `spentUsd` is read-only and stays behind. */
export const storedBudgets = (budgets: readonly BudgetView[]): PolicyBudget[] =>
  budgets.map((b) => ({ limitUsd: b.limitUsd, period: b.period, alertThresholds: [...b.alertThresholds] }));

export const PERIOD_LABELS: Record<string, string> = {
  daily: 'Daily',
  weekly: 'Weekly',
  monthly: 'Monthly',
  lifetime: 'Lifetime',
};
