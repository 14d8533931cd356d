'use client';

import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { QueryState } from './query-state';
import styles from './resource-table.module.css';

/** A list page's open dialog: adding, editing or deleting one item, or one of the page's own (`Extra`). */
export type ListDialog<T, Extra = never> =
  | { kind: 'create' }
  | { kind: 'edit'; item: T }
  | { kind: 'delete'; item: T }
  | Extra
  | null;

export type Column = string | { key: string; label: ReactNode; className?: string };

/**
 * A list page's table: a caption for assistive technology, one header per column and, with `actions`,
 * a last column of row buttons whose header only screen readers read.
 */
export function ResourceTable({
  caption,
  columns,
  actions = false,
  children,
}: {
  caption: ReactNode;
  columns: readonly Column[];
  actions?: boolean;
  /** The rows. */
  children: ReactNode;
}) {
  return (
    <div className={`table-wrap ${styles.tableWrap}`}>
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) =>
              typeof column === 'string' ? (
                <th key={column} scope="col">
                  {column}
                </th>
              ) : (
                <th key={column.key} scope="col" className={column.className}>
                  {column.label}
                </th>
              ),
            )}
            {actions && (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** Loading, error (with retry), `empty` when the list has no item, or the list itself. */
export function ListState<T>({
  query,
  empty,
  children,
}: {
  query: UseQueryResult<T[]>;
  empty: ReactNode;
  children: (items: T[]) => ReactNode;
}) {
  return <QueryState query={query}>{(items) => (items.length === 0 ? empty : children(items))}</QueryState>;
}
