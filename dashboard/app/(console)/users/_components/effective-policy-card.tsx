import type { EffectiveModels, RuleRef } from '@portcullis/shared/policy';
import Link from 'next/link';
import { SectionCard } from '@/components/ui/section-card';
import type { MemberDetail } from '@/lib/api/users';
import { formatUsd } from '@/lib/format';
import { EffectiveLimitsTable } from '../../_components/policy/effective-limits-table';
import { PERIOD_LABELS } from '../../_components/policy/limit-fields';
import styles from './users.module.css';

function RuleSource({ source }: { source: RuleRef | null }) {
  if (!source) return <span className="muted">Nothing limits it</span>;
  if (source.type === 'group')
    return (
      <>
        Group <Link href={`/groups/${encodeURIComponent(source.id)}`}>{source.name}</Link>
      </>
    );
  if (source.type === 'user') return <>This user&apos;s own limit</>;
  return <>Key {source.name}</>;
}

const modelsText = (models: EffectiveModels): string => {
  switch (models.basis) {
    case 'admin':
      return 'Every model: admins may use every model of the organization.';
    case 'grants':
      return `The granted models (their own grants and their groups'): ${models.allowed.join(', ')}.`;
    case 'no_grants_all':
      return 'Every model: no grants anywhere, and the organization lets members without grants use every model.';
    case 'no_grants_none':
      return 'No model: no grants anywhere, and the organization requires a grant. Add a grant to this user or one of their groups.';
    case 'unknown_owner':
      return 'Decided by each key alone.';
  }
};

/**
 * What the member's keys are held to before any key rule: per limit the strictest of the user's and
 * their groups' values, and which rule set it; the models; every budget that counts.
 */
export function EffectivePolicyCard({ member }: { member: MemberDetail }) {
  const { effective } = member;
  return (
    <SectionCard id="effective-policy" title="Effective policy">
      <p className="muted">
        What every key of {member.name} is held to (a key may set stricter rules of its own).
      </p>
      <EffectiveLimitsTable
        limits={effective.limits}
        renderSource={(source) => <RuleSource source={source} />}
        wide
      />
      <dl className="stat-list" style={{ marginTop: '1rem' }}>
        <dt>Models</dt>
        <dd>{modelsText(effective.models)}</dd>
        <dt>Budgets</dt>
        <dd>
          {effective.budgets.length === 0 ? (
            'No budget applies.'
          ) : (
            <ul className={styles.plainList}>
              {effective.budgets.map((budget) => (
                <li key={`${budget.scope.type}-${budget.scope.id}-${budget.period}`}>
                  {formatUsd(budget.limitUsd)} {(PERIOD_LABELS[budget.period] ?? budget.period).toLowerCase()}
                  {' — '}
                  {budget.scope.type === 'group' ? (
                    <>
                      group{' '}
                      <Link href={`/groups/${encodeURIComponent(budget.scope.id)}`}>{budget.scope.name}</Link>
                    </>
                  ) : (
                    'their own budget'
                  )}
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
    </SectionCard>
  );
}
