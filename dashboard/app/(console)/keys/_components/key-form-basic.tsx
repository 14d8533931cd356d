'use client';

import { BUDGET_PERIODS, PROVIDERS } from '@portcullis/shared/api-keys';
import { EXPIRY_PRESETS, type ExpiryPreset } from '@portcullis/shared/expiry';
import { useQuery } from '@tanstack/react-query';
import { SelectField } from '@/components/ui/select-field';
import { TextField } from '@/components/ui/text-field';
import { type BudgetPeriod, DEFAULT_ALERT_THRESHOLDS, type ExpiryChoice } from '@/lib/api/keys';
import { PROVIDER_LABELS } from '@/lib/api/providers';
import { allMembersQueryOptions } from '@/lib/api/users';
import { formatDate } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { Checkbox, FieldGroup } from './form-fields';
import type { KeyFormTabProps } from './key-form-dialog';
import styles from './keys.module.css';

const EXPIRY_LABELS: Record<ExpiryPreset, string> = {
  never: 'Never',
  '30d': '30 days',
  '60d': '60 days',
  '90d': '90 days',
  '180d': '180 days',
  '1y': '1 year',
};

const PERIOD_LABELS: Record<BudgetPeriod, string> = {
  daily: 'Daily',
  weekly: 'Weekly',
  monthly: 'Monthly',
  lifetime: 'Lifetime (never resets)',
};

/** Tomorrow in UTC, the first day a custom expiry may be. */
const tomorrowUtc = (): string => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

export function KeyFormBasic({ values, set, error, editing }: KeyFormTabProps) {
  const { isAdmin } = useOrg();
  const hasBudget = values.budgetUsd.trim() !== '';

  return (
    <>
      <TextField
        label="Name"
        name="name"
        value={values.name}
        onChange={(event) => set({ name: event.target.value })}
        error={error('name')}
        required
        autoComplete="off"
        placeholder="e.g. Production API"
      />
      {isAdmin && <OwnerSelect values={values} set={set} error={error} editing={editing} />}
      <div className="field-row">
        <SelectField
          label="Expiration"
          value={values.expiry}
          onChange={(event) => set({ expiry: event.target.value as ExpiryChoice })}
          error={values.expiry === 'custom' ? undefined : error('expiresAt', 'expiresIn')}
        >
          {editing && (
            <option value="keep">
              Keep current ({editing.expiresAt ? formatDate(editing.expiresAt) : 'never'})
            </option>
          )}
          {EXPIRY_PRESETS.map((preset) => (
            <option key={preset} value={preset}>
              {EXPIRY_LABELS[preset]}
            </option>
          ))}
          <option value="custom">Custom date</option>
        </SelectField>
        {values.expiry === 'custom' && (
          <div>
            <TextField
              label="Expires on"
              name="expiresOn"
              type="date"
              min={tomorrowUtc()}
              value={values.expiresOn}
              onChange={(event) => set({ expiresOn: event.target.value })}
              error={error('expiresAt', 'expiresIn')}
            />
            <p className="field-hint">At the end of that day, UTC.</p>
          </div>
        )}
      </div>
      <FieldGroup legend="Rate limits" hint="Leave empty for no limit of the key's own.">
        <div className="field-row">
          <TextField
            label="Requests per minute"
            name="requestsPerMinute"
            inputMode="numeric"
            value={values.requestsPerMinute}
            onChange={(event) => set({ requestsPerMinute: event.target.value })}
            error={error('limits.requestsPerMinute')}
          />
          <TextField
            label="Tokens per minute"
            name="tokensPerMinute"
            inputMode="numeric"
            value={values.tokensPerMinute}
            onChange={(event) => set({ tokensPerMinute: event.target.value })}
            error={error('limits.tokensPerMinute')}
          />
        </div>
      </FieldGroup>
      <FieldGroup legend="Budget" hint="Requests are refused once the key has spent this much in the period.">
        <div className="field-row">
          <TextField
            label="Budget (USD)"
            name="budgetUsd"
            inputMode="decimal"
            placeholder="No budget"
            value={values.budgetUsd}
            onChange={(event) => set({ budgetUsd: event.target.value })}
            error={error('budget.limitUsd', 'budget')}
          />
          {hasBudget && (
            <SelectField
              label="Budget period"
              value={values.budgetPeriod}
              onChange={(event) => set({ budgetPeriod: event.target.value as BudgetPeriod })}
              error={error('budget.period')}
            >
              {BUDGET_PERIODS.map((period) => (
                <option key={period} value={period}>
                  {PERIOD_LABELS[period]}
                </option>
              ))}
            </SelectField>
          )}
          {hasBudget && (
            <TextField
              label="Alert thresholds (%)"
              name="alertThresholds"
              placeholder={DEFAULT_ALERT_THRESHOLDS}
              value={values.alertThresholds}
              onChange={(event) => set({ alertThresholds: event.target.value })}
              error={error('budget.alertThresholds')}
            />
          )}
        </div>
      </FieldGroup>
      <FieldGroup
        legend="Providers"
        hint="All on means no restriction, including providers added later."
        error={error('allowedProviders')}
      >
        <div className={styles.checkGrid}>
          {PROVIDERS.map((provider) => (
            <Checkbox
              key={provider}
              label={PROVIDER_LABELS[provider]}
              checked={values.providers.includes(provider)}
              onChange={(checked) =>
                set({
                  providers: checked
                    ? PROVIDERS.filter((p) => p === provider || values.providers.includes(p))
                    : values.providers.filter((p) => p !== provider),
                })
              }
            />
          ))}
        </div>
      </FieldGroup>
    </>
  );
}

function OwnerSelect({ values, set, error, editing }: Omit<KeyFormTabProps, 'errors'>) {
  const { org, user } = useOrg();
  const members = useQuery(allMembersQueryOptions(org.id));
  // Create: '' is "me" (no ownerId sent). Edit: every option is a user id, so a change is always visible.
  const meValue = editing ? user.id : '';
  const others = (members.data ?? []).filter((m) => m.id !== user.id && m.status === 'active');
  const currentOwnerMissing =
    editing && editing.ownerId !== user.id && !others.some((m) => m.id === editing.ownerId);
  return (
    <SelectField
      label={editing ? 'Owner' : 'Create key for user'}
      value={values.ownerId === user.id && !editing ? '' : values.ownerId}
      onChange={(event) => set({ ownerId: event.target.value })}
      error={error('ownerId') ?? (members.isError ? 'Could not load the members list.' : undefined)}
      hint="The key's requests and spend count toward its owner's limits and budgets."
    >
      <option value={meValue}>Me ({user.email})</option>
      {currentOwnerMissing && editing && (
        <option value={editing.ownerId}>
          {editing.owner?.name || editing.owner?.email || 'Current owner'}
        </option>
      )}
      {members.isPending && <option disabled>Loading members…</option>}
      {others.map((member) => (
        <option key={member.id} value={member.id}>
          {member.name ? `${member.name} (${member.email})` : member.email}
        </option>
      ))}
    </SelectField>
  );
}
