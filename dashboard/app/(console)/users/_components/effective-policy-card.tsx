import type { EffectiveModels, RuleRef } from '@portcullis/shared/policy';
import Link from 'next/link';
import type { MemberDetail } from '@/lib/api/users';
import { formatNumber, formatUsd } from '@/lib/format';
import { LIMIT_FIELDS, LIMIT_LABELS, PERIOD_LABELS } from '../../_components/policy/limit-fields';
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
    <section className="card" aria-labelledby="effective-policy">
      <div className={styles.sectionHeader}>
        <h2 id="effective-policy">Effective policy</h2>
      </div>
      <p className="muted">
        What every key of {member.name} is held to (a key may set stricter rules of its own).
      </p>
      <div className={`table-wrap ${styles.tableWrap}`}>
        <table className={`table ${styles.effectiveTable}`}>
          <caption className="visually-hidden">Effective limits</caption>
          <thead>
            <tr>
              <th scope="col">Limit</th>
              <th scope="col" className="num">
                Value
              </th>
              <th scope="col">Set by</th>
            </tr>
          </thead>
          <tbody>
            {LIMIT_FIELDS.map((field) => {
              const limit = effective.limits[field];
              return (
                <tr key={field}>
                  <td>{LIMIT_LABELS[field].label}</td>
                  <td className="num">{limit.value === null ? 'No limit' : formatNumber(limit.value)}</td>
                  <td>
                    <RuleSource source={limit.source} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
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
    </section>
  );
}
