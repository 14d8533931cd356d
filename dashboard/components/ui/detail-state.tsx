'use client';

import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { isApiError } from '@/lib/api/client';
import { ErrorAlert, Loading } from './query-state';

/**
 * A detail page's query: a placeholder while it loads, "not found" for a 404 (deleted, a wrong link, or
 * not the caller's to see), a retry for any other error; `back` heads every state.
 */
export function DetailPageState<T>({
  query,
  back,
  loadingLabel,
  notFoundTitle,
  notFoundMessage,
  children,
}: {
  query: UseQueryResult<T>;
  back: ReactNode;
  loadingLabel: string;
  notFoundTitle: string;
  notFoundMessage: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isSuccess) return <>{children(query.data)}</>;
  return (
    <div className="page-stack">
      {back}
      {query.isPending ? (
        <Loading rows={8} label={loadingLabel} />
      ) : isApiError(query.error) && query.error.status === 404 ? (
        <div className="empty-state">
          <h1>{notFoundTitle}</h1>
          <p className="muted">{notFoundMessage}</p>
        </div>
      ) : (
        <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />
      )}
    </div>
  );
}
