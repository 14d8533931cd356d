'use client';

import type { ModelView } from '@portcullis/shared/providers';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useId, useState } from 'react';
import { DeleteDialog } from '@/components/ui/delete-dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { type ListDialog, ListState, ResourceTable } from '@/components/ui/resource-table';
import { EditDeleteActions } from '@/components/ui/row-actions';
import { modelsQueryOptions } from '@/lib/api/models';
import { PROVIDER_LABELS } from '@/lib/api/providers';
import { formatUsd } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { useUrlState } from '@/lib/use-url-state';
import { useUrlText } from '@/lib/use-url-text';
import { useDeleteModel } from '../hooks/use-delete-model';
import { useSetModelEnabled } from '../hooks/use-set-model-enabled';
import { ModelFormModal } from './model-form-modal';
import styles from './models.module.css';

/** A cache price as set, or "default" (the provider's multiple of the input price). */
const cachePrice = (price: number | null) => (price === null ? 'default' : formatUsd(price));

type Dialog = ListDialog<ModelView>;

const URL_DEFAULTS = { search: '' };
const SEARCH_DEBOUNCE_MS = 250;

const matches = (model: ModelView, search: string) => {
  const q = search.trim().toLowerCase();
  if (!q) return true;
  return [model.slug, model.upstreamModel, model.credential.name].some((s) => s.toLowerCase().includes(q));
};

export function ModelsPage() {
  const { org, isAdmin } = useOrg();
  const query = useQuery(modelsQueryOptions(org.id));
  const [url, setUrl] = useUrlState(URL_DEFAULTS);
  // The list filters on what is typed at once; the URL follows after a pause.
  const [search, setSearch, resetSearch] = useUrlText(
    url.search,
    (value) => setUrl({ search: value }),
    SEARCH_DEBOUNCE_MS,
  );
  const [dialog, setDialog] = useState<Dialog>(null);
  const searchId = useId();
  const setEnabled = useSetModelEnabled(org.id);
  const remove = useDeleteModel(org.id);
  const close = () => setDialog(null);

  const addButton = isAdmin ? (
    <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'create' })}>
      Add model
    </button>
  ) : null;

  return (
    <div className="page-stack">
      <PageHeader
        title="Models"
        description={
          isAdmin
            ? 'The model names clients ask gateways for, the provider credential each one is called with, and its price.'
            : 'The models you may use with your keys, and what they cost. Admins manage this list.'
        }
        actions={addButton}
      />
      <div className="toolbar">
        <label htmlFor={searchId} className="visually-hidden">
          Search models
        </label>
        <input
          id={searchId}
          type="search"
          placeholder="Search models"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      <ListState
        query={query}
        empty={
          isAdmin ? (
            <EmptyState title="No models yet" action={addButton}>
              Add a model to give clients a name to call (for example gpt-4o-mini) and route it to one of your{' '}
              <Link href="/providers">provider credentials</Link>.
            </EmptyState>
          ) : (
            <EmptyState title="No models available to you">
              Ask an admin of {org.name} to add a model or to grant you access to one.
            </EmptyState>
          )
        }
      >
        {(models) => {
          const shown = models.filter((m) => matches(m, search));
          if (shown.length === 0) {
            return (
              <EmptyState
                title="No models match your search"
                action={
                  <button
                    type="button"
                    className="button"
                    onClick={() => {
                      resetSearch('');
                      setUrl({ search: null });
                    }}
                  >
                    Clear search
                  </button>
                }
              >
                Nothing matches “{search.trim()}”.
              </EmptyState>
            );
          }
          return (
            <ResourceTable
              caption="Models"
              columns={[
                'Slug',
                'Provider credential',
                'Upstream model',
                {
                  key: 'price',
                  className: 'num',
                  label: (
                    <>
                      Price per 1M tokens <span className="muted">(input / output)</span>
                    </>
                  ),
                },
                'Enabled',
              ]}
              actions={isAdmin}
            >
              {shown.map((model) => {
                const toggling = setEnabled.isPending && setEnabled.variables?.id === model.id;
                // While the change is saved the switch shows what was asked; bound to the stored value
                // alone it would spring back at the click and only move once the save is done.
                const enabled = toggling ? (setEnabled.variables?.enabled ?? model.enabled) : model.enabled;
                return (
                  <tr key={model.id}>
                    <td>
                      <code className="mono">{model.slug}</code>
                    </td>
                    <td>
                      {model.credential.name}{' '}
                      <span className="muted">({PROVIDER_LABELS[model.credential.provider]})</span>
                    </td>
                    <td>
                      <code className="mono">{model.upstreamModel}</code>
                    </td>
                    <td className="num">
                      {formatUsd(model.inputPricePerMTok)} / {formatUsd(model.outputPricePerMTok)}
                      {(model.cacheWritePricePerMTok !== null || model.cacheReadPricePerMTok !== null) && (
                        <div className="muted">
                          cache {cachePrice(model.cacheWritePricePerMTok)} write /{' '}
                          {cachePrice(model.cacheReadPricePerMTok)} read
                        </div>
                      )}
                    </td>
                    <td>
                      {isAdmin ? (
                        <label className={`checkbox ${styles.switch}`}>
                          <input
                            type="checkbox"
                            role="switch"
                            aria-checked={enabled}
                            checked={enabled}
                            disabled={toggling}
                            aria-label={`${model.slug} enabled`}
                            onChange={(e) => setEnabled.mutate({ id: model.id, enabled: e.target.checked })}
                          />
                          <span aria-hidden="true">{enabled ? 'On' : 'Off'}</span>
                        </label>
                      ) : model.enabled ? (
                        'Yes'
                      ) : (
                        'No'
                      )}
                    </td>
                    {isAdmin && (
                      <td>
                        <EditDeleteActions
                          name={model.slug}
                          onEdit={() => setDialog({ kind: 'edit', item: model })}
                          onDelete={() => setDialog({ kind: 'delete', item: model })}
                        />
                      </td>
                    )}
                  </tr>
                );
              })}
            </ResourceTable>
          );
        }}
      </ListState>
      {isAdmin && (
        <>
          <ModelFormModal
            open={dialog?.kind === 'create' || dialog?.kind === 'edit'}
            model={dialog?.kind === 'edit' ? dialog.item : null}
            onClose={close}
          />
          <DeleteDialog
            target={dialog?.kind === 'delete' ? dialog.item : null}
            title="Delete model"
            remove={remove}
            variables={({ id, slug }) => ({ id, slug })}
            onClose={close}
            message={({ slug }) => (
              <p>
                Are you sure you want to delete &apos;{slug}&apos;? Gateways answer requests for it with
                model_not_found at once. This action cannot be undone.
              </p>
            )}
          />
        </>
      )}
    </div>
  );
}
