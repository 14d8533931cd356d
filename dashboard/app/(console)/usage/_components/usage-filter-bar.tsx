'use client';

import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { SelectField } from '@/components/ui/select-field';
import { TextField } from '@/components/ui/text-field';
import type { ApiError } from '@/lib/api/client';
import { fieldError } from '@/lib/api/errors';
import { groupsQueryOptions } from '@/lib/api/groups';
import { modelsQueryOptions } from '@/lib/api/models';
import { allKeysQueryOptions, USAGE_RANGE_LABELS, USAGE_RANGES, type UsageRange } from '@/lib/api/usage';
import { allMembersQueryOptions } from '@/lib/api/users';
import { useOrg } from '@/lib/org-context';
import { useUrlText } from '@/lib/use-url-text';
import styles from './usage.module.css';
import type { UsageUrlState } from './usage-dashboard';

const DAY_MS = 86_400_000;
/** A date typed segment by segment is a valid date after each one: the URL waits for the typing to stop. */
const DATE_DEBOUNCE_MS = 400;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface Option {
  value: string;
  label: string;
}

/** The chosen value stays selectable while the list loads, or if it is no longer in it (a deleted key). */
const withCurrent = (options: Option[], current: string, unknownLabel: string): Option[] =>
  current && !options.some((o) => o.value === current)
    ? [...options, { value: current, label: unknownLabel }]
    : options;

/** Under a filter whose options could not load: why the list is short, and a retry. */
const optionsHint = (query: { isError: boolean; refetch: () => unknown }, what: string): ReactNode =>
  query.isError ? (
    <>
      Could not load {what}.{' '}
      <button type="button" className="button-link" onClick={() => void query.refetch()}>
        Try again
      </button>
    </>
  ) : undefined;

/** One "filter by" select: an "All …" choice, then the options. */
function FilterSelect({
  label,
  allLabel,
  value,
  options,
  onChange,
  hint,
  error,
}: {
  label: string;
  allLabel: string;
  value: string;
  options: Option[];
  onChange: (value: string) => void;
  hint: ReactNode;
  error: string | undefined;
}) {
  return (
    <SelectField
      label={label}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      hint={hint}
      error={error}
    >
      <option value="">{allLabel}</option>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </SelectField>
  );
}

export function UsageFilterBar({
  state,
  range,
  onChange,
  isAdmin,
  rangeErrors,
  apiError,
}: {
  state: UsageUrlState;
  range: UsageRange;
  onChange: (patch: Partial<Record<keyof UsageUrlState, string | null>>) => void;
  isAdmin: boolean;
  rangeErrors: { from?: string; to?: string };
  /** A 400 from the usage API: each detail is shown under the filter it names. */
  apiError: ApiError | null;
}) {
  const { org } = useOrg();
  const apiFieldError = (field: string): string | undefined => {
    const message = fieldError(apiError, field);
    return message && `${message.charAt(0).toUpperCase()}${message.slice(1)}`;
  };
  const keys = useQuery(allKeysQueryOptions(org.id));
  const models = useQuery(modelsQueryOptions(org.id));
  const members = useQuery({ ...allMembersQueryOptions(org.id), enabled: isAdmin });
  const groups = useQuery({ ...groupsQueryOptions(org.id), enabled: isAdmin });
  const [from, setFrom] = useUrlText(state.from, (value) => onChange({ from: value }), DATE_DEBOUNCE_MS);
  const [to, setTo] = useUrlText(state.to, (value) => onChange({ to: value }), DATE_DEBOUNCE_MS);

  const keyOptions = withCurrent(
    (keys.data ?? []).map((k) => ({ value: k.id, label: `${k.name} (${k.prefix}…)` })),
    state.keyId,
    keys.isPending ? 'Loading…' : 'Unknown or deleted key',
  );
  const modelOptions = withCurrent(
    (models.data ?? []).map((m) => ({ value: m.slug, label: m.slug })),
    state.model,
    state.model,
  );
  const userOptions = withCurrent(
    (members.data ?? [])
      .filter((m) => m.invitation === null)
      .map((m) => ({ value: m.id, label: m.name ? `${m.name} (${m.email})` : m.email })),
    state.userId,
    members.isPending ? 'Loading…' : 'Unknown or former member',
  );
  const groupOptions = withCurrent(
    (groups.data ?? []).map((g) => ({ value: g.id, label: g.name })),
    state.groupId,
    groups.isPending ? 'Loading…' : 'Unknown or deleted group',
  );

  const chooseRange = (value: string) => {
    if (value === 'custom') {
      // Start from the last seven days, which the user then narrows or widens.
      const today = Date.now();
      onChange({
        range: 'custom',
        from: state.from || utcDay(today - 6 * DAY_MS),
        to: state.to || utcDay(today),
      });
    } else {
      onChange({ range: value, from: null, to: null });
    }
  };

  return (
    <section aria-label="Filters" className={`card ${styles.filters}`}>
      <div className="field-row">
        <SelectField label="Range" value={range} onChange={(e) => chooseRange(e.target.value)}>
          {USAGE_RANGES.map((r) => (
            <option key={r} value={r}>
              {USAGE_RANGE_LABELS[r]}
            </option>
          ))}
        </SelectField>
        {range === 'custom' && (
          <>
            <TextField
              label="From (UTC)"
              name="from"
              type="date"
              value={from}
              max={to || undefined}
              onChange={(e) => setFrom(e.target.value)}
              error={rangeErrors.from ?? apiFieldError('from')}
            />
            <TextField
              label="To (UTC, inclusive)"
              name="to"
              type="date"
              value={to}
              min={from || undefined}
              onChange={(e) => setTo(e.target.value)}
              error={rangeErrors.to ?? apiFieldError('to')}
            />
          </>
        )}
        <FilterSelect
          label="API key"
          allLabel="All keys"
          value={state.keyId}
          options={keyOptions}
          onChange={(keyId) => onChange({ keyId })}
          hint={optionsHint(keys, 'keys')}
          error={apiFieldError('keyId')}
        />
        {isAdmin && (
          <FilterSelect
            label="User"
            allLabel="All users"
            value={state.userId}
            options={userOptions}
            onChange={(userId) => onChange({ userId })}
            hint={optionsHint(members, 'users')}
            error={apiFieldError('userId')}
          />
        )}
        {isAdmin && (
          <FilterSelect
            label="Group"
            allLabel="All groups"
            value={state.groupId}
            options={groupOptions}
            onChange={(groupId) => onChange({ groupId })}
            hint={optionsHint(groups, 'groups')}
            error={apiFieldError('groupId')}
          />
        )}
        <FilterSelect
          label="Model"
          allLabel="All models"
          value={state.model}
          options={modelOptions}
          onChange={(model) => onChange({ model })}
          hint={optionsHint(models, 'models')}
          error={apiFieldError('model')}
        />
      </div>
    </section>
  );
}
