'use client';

import { KEY_STATUSES } from '@portcullis/shared/api-keys';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { ErrorAlert, Loading } from '@/components/ui/query-state';
import { isKeySort, isKeyStatus, type KeyListFilters, keysQueryOptions } from '@/lib/api/keys';
import { useOrg } from '@/lib/org-context';
import { useUrlState } from '@/lib/use-url-state';
import { useUrlText } from '@/lib/use-url-text';
import { KeyActionDialogs, type KeyDialog } from './key-action-dialogs';
import styles from './keys.module.css';
import { KeysTable } from './keys-table';

const URL_DEFAULTS = { search: '', status: 'all', sort: '', order: '', cursors: '' };
const SEARCH_DEBOUNCE_MS = 300;
const STATUS_OPTIONS = [
  { value: 'all', label: 'All' },
  ...KEY_STATUSES.map((s) => ({ value: s, label: s.charAt(0).toUpperCase() + s.slice(1) })),
];

/** `cursors` in the URL is the trail of pages visited (comma-separated API cursors; base64url has no comma). */
const splitTrail = (text: string): string[] => (text ? text.split(',').filter(Boolean) : []);

export function KeysPage() {
  const { org } = useOrg();
  const [url, setUrl] = useUrlState(URL_DEFAULTS);
  const trail = splitTrail(url.cursors);
  const filters: KeyListFilters = {
    search: url.search,
    status: isKeyStatus(url.status) ? url.status : '',
    sort: isKeySort(url.sort) ? url.sort : '',
    order: url.order === 'asc' || url.order === 'desc' ? url.order : '',
    cursor: trail[trail.length - 1] ?? '',
  };
  const query = useQuery(keysQueryOptions(org.id, filters));
  const [dialog, setDialog] = useState<KeyDialog>(null);
  const filtered = filters.search !== '' || filters.status !== '';

  // Another organization: its pages start over (cursors belong to one list) and dialogs of the old one close.
  const shownOrg = useRef(org.id);
  useEffect(() => {
    if (shownOrg.current === org.id) return;
    shownOrg.current = org.id;
    setDialog(null);
    if (url.cursors) setUrl({ cursors: null });
  }, [org.id, url.cursors, setUrl]);

  const createButton = (
    <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'create' })}>
      Create key
    </button>
  );

  return (
    <div className="page-stack">
      <PageHeader
        title="API keys"
        description="Keys your applications send to the gateways. Each key carries its own limits, budget and access rules."
        actions={createButton}
      />
      <Toolbar
        search={url.search}
        status={url.status}
        onSearch={(search) => setUrl({ search, cursors: null })}
        onStatus={(status) => setUrl({ status, cursors: null })}
        onClear={filtered ? () => setUrl({ search: null, status: null, cursors: null }) : undefined}
      />
      {query.isPending ? (
        <Loading label="Loading keys…" rows={5} />
      ) : query.isError ? (
        <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />
      ) : query.data.data.length === 0 && trail.length === 0 ? (
        filtered ? (
          <EmptyState
            title="No keys match these filters"
            action={
              <button
                type="button"
                className="button"
                onClick={() => setUrl({ search: null, status: null, cursors: null })}
              >
                Clear filters
              </button>
            }
          >
            Nothing matches{filters.search ? ` “${filters.search}”` : ''}
            {filters.status ? ` with status ${filters.status}` : ''}. Try another name or prefix, or clear the
            filters.
          </EmptyState>
        ) : (
          <EmptyState title="No API keys yet" action={createButton}>
            Create a key, then call any gateway with it as the bearer token of an OpenAI or Anthropic client.
          </EmptyState>
        )
      ) : (
        <>
          <KeysTable
            keys={query.data.data}
            filters={filters}
            busy={query.isPlaceholderData}
            onSort={(sort, order) => setUrl({ sort, order, cursors: null })}
            onOpen={(key) => setDialog({ kind: 'detail', keyId: key.id })}
            onDelete={(key) => setDialog({ kind: 'delete', key })}
          />
          <nav className="pagination" aria-label="Pages of keys">
            <button
              type="button"
              className="button"
              disabled={trail.length === 0}
              onClick={() => setUrl({ cursors: trail.slice(0, -1).join(',') || null })}
            >
              Previous
            </button>
            <span className="muted" aria-live="polite">
              Page {trail.length + 1}
            </span>
            <button
              type="button"
              className="button"
              disabled={!query.data.nextCursor || query.isPlaceholderData}
              onClick={() => {
                const next = query.data.nextCursor;
                if (next) setUrl({ cursors: [...trail, next].join(',') });
              }}
            >
              Next
            </button>
          </nav>
        </>
      )}
      <KeyActionDialogs dialog={dialog} setDialog={setDialog} />
    </div>
  );
}

function Toolbar({
  search,
  status,
  onSearch,
  onStatus,
  onClear,
}: {
  search: string;
  status: string;
  onSearch: (value: string) => void;
  onStatus: (value: string) => void;
  onClear: (() => void) | undefined;
}) {
  const searchId = useId();
  const statusId = useId();
  // Typed keys show at once; the URL (and the request) follow after a pause.
  const [text, setText] = useUrlText(search, onSearch, SEARCH_DEBOUNCE_MS);

  return (
    <search className={`toolbar ${styles.toolbar}`}>
      <div className={styles.toolbarField}>
        <label htmlFor={searchId}>Search</label>
        <input
          id={searchId}
          type="search"
          placeholder="Name or prefix"
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
      </div>
      <div className={styles.toolbarField}>
        <label htmlFor={statusId}>Status</label>
        <select id={statusId} value={status} onChange={(event) => onStatus(event.target.value)}>
          {STATUS_OPTIONS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </div>
      {onClear && (
        <button type="button" className={`button ${styles.clear}`} onClick={onClear}>
          Clear filters
        </button>
      )}
    </search>
  );
}
