import type { EffectiveLimit, RuleRef } from '@portcullis/shared/policy';
import type { ReactNode } from 'react';
import { ResourceTable } from '@/components/ui/resource-table';
import { formatNumber } from '@/lib/format';
import { LIMIT_FIELDS, LIMIT_LABELS, type LimitField } from './limit-fields';
import styles from './policy.module.css';

/** Per limit, the value that holds (the strictest of every rule that applies) and the rule that set it. */
export function EffectiveLimitsTable({
  limits,
  renderSource,
  wide = false,
}: {
  limits: Record<LimitField, EffectiveLimit>;
  renderSource: (source: RuleRef | null) => ReactNode;
  /** Keeps its columns legible in a wide card by scrolling rather than squeezing. */
  wide?: boolean;
}) {
  return (
    <div className={wide ? styles.wideTable : undefined}>
      <ResourceTable
        caption="Effective limits"
        columns={['Limit', { key: 'value', label: 'Value', className: 'num' }, 'Set by']}
      >
        {LIMIT_FIELDS.map((field) => {
          const limit = limits[field];
          return (
            <tr key={field}>
              <td>{LIMIT_LABELS[field].label}</td>
              <td className="num">{limit.value === null ? 'No limit' : formatNumber(limit.value)}</td>
              <td>{renderSource(limit.source)}</td>
            </tr>
          );
        })}
      </ResourceTable>
    </div>
  );
}
