'use client';

import type { ApiKey } from '@portcullis/shared/api-keys';
import { CopyButton } from '@/components/ui/copy-button';
import { StatusDot } from '@/components/ui/status-dot';
import { TrashIcon } from '@/components/ui/trash-icon';
import { defaultOrder, type KeyListFilters, type KeySort, maskPrefix } from '@/lib/api/keys';
import { formatDate, formatDateTime, formatNumber, formatPercent, formatRelative } from '@/lib/format';
import styles from './keys.module.css';

const COLUMNS: { label: string; sort?: KeySort; numeric?: boolean }[] = [
  { label: 'Name', sort: 'name' },
  { label: 'Owner', sort: 'owner' },
  { label: 'Key' },
  { label: 'Status', sort: 'status' },
  { label: 'Expires' },
  { label: 'Last used' },
  { label: 'Created' },
  { label: 'Requests', sort: 'requests', numeric: true },
  { label: 'Usage', numeric: true },
];

export const ownerLabel = (key: ApiKey): string => key.owner?.name || key.owner?.email || 'Unknown user';

export function KeysTable({
  keys,
  filters,
  busy,
  onSort,
  onOpen,
  onDelete,
}: {
  keys: readonly ApiKey[];
  filters: KeyListFilters;
  /** The rows are the previous page's while the next one loads. */
  busy: boolean;
  onSort: (sort: KeySort, order: 'asc' | 'desc') => void;
  onOpen: (key: ApiKey) => void;
  onDelete: (key: ApiKey) => void;
}) {
  const now = Date.now();
  return (
    <div className={`table-wrap ${styles.tableWrap}`} aria-busy={busy || undefined}>
      <table className="table">
        <caption className="visually-hidden">API keys (select a name to see the key's details)</caption>
        <thead>
          <tr>
            {COLUMNS.map((column) => {
              const sorted = column.sort !== undefined && filters.sort === column.sort;
              const order = sorted ? filters.order || defaultOrder(column.sort as KeySort) : undefined;
              return (
                <th
                  key={column.label}
                  scope="col"
                  className={column.numeric ? 'num' : undefined}
                  aria-sort={
                    column.sort === undefined
                      ? undefined
                      : order === 'asc'
                        ? 'ascending'
                        : order === 'desc'
                          ? 'descending'
                          : 'none'
                  }
                >
                  {column.sort ? (
                    <button
                      type="button"
                      className="sort-button"
                      onClick={() => {
                        const sort = column.sort as KeySort;
                        const next = sorted ? (order === 'asc' ? 'desc' : 'asc') : defaultOrder(sort);
                        onSort(sort, next);
                      }}
                    >
                      {column.label}
                      <span aria-hidden="true" className={styles.sortMark}>
                        {order === 'asc' ? '▲' : order === 'desc' ? '▼' : '↕'}
                      </span>
                    </button>
                  ) : (
                    column.label
                  )}
                </th>
              );
            })}
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.id} className="clickable" onClick={() => onOpen(key)}>
              <td className={styles.nameCell}>
                <button
                  type="button"
                  className={`button-link ${styles.nameButton}`}
                  onClick={(event) => {
                    event.stopPropagation();
                    onOpen(key);
                  }}
                >
                  {key.name}
                </button>
              </td>
              <td>
                <span className={styles.owner}>
                  <span>{ownerLabel(key)}</span>
                  {key.owner?.name && key.owner.email && (
                    <span className={`muted ${styles.ownerEmail}`}>{key.owner.email}</span>
                  )}
                </span>
              </td>
              {/* biome-ignore lint/a11y/useKeyWithClickEvents: only stops the row's click; the button inside is the control */}
              <td onClick={(event) => event.stopPropagation()}>
                <span className={styles.prefix}>
                  <code className="mono" title={key.prefix}>
                    {maskPrefix(key.prefix)}
                  </code>
                  <CopyButton
                    value={key.prefix}
                    className="button button-small"
                    ariaLabel={`Copy the prefix of ${key.name}`}
                  />
                </span>
              </td>
              <td>
                <StatusDot status={key.status} />
              </td>
              <td>
                {key.expiresAt ? (
                  <time dateTime={key.expiresAt} title={formatDateTime(key.expiresAt)}>
                    {formatDate(key.expiresAt)}
                  </time>
                ) : (
                  <span className="muted">Never</span>
                )}
              </td>
              <td>
                {key.lastUsedAt ? (
                  <time dateTime={key.lastUsedAt} title={formatDateTime(key.lastUsedAt)}>
                    {formatRelative(key.lastUsedAt, now)}
                  </time>
                ) : (
                  <span className="muted">Never</span>
                )}
              </td>
              <td>
                <time dateTime={key.createdAt} title={formatDateTime(key.createdAt)}>
                  {formatDate(key.createdAt)}
                </time>
              </td>
              <td className="num">{formatNumber(key.requestCount)}</td>
              <td className="num">{formatPercent(key.usageShare)}</td>
              <td>
                <button
                  type="button"
                  className="icon-button icon-button-danger"
                  aria-label={`Delete ${key.name}`}
                  title="Delete"
                  onClick={(event) => {
                    event.stopPropagation();
                    onDelete(key);
                  }}
                >
                  <TrashIcon />
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
