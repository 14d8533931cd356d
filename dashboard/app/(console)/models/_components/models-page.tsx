'use client';

import type { ModelView } from '@portcullis/shared/providers';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useId, useState } from 'react';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { TrashIcon } from '@/components/ui/trash-icon';
import { modelsQueryOptions } from '@/lib/api/models';
import { PROVIDER_LABELS } from '@/lib/api/providers';
import { formatUsd } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { useUrlState } from '@/lib/use-url-state';
import { useDeleteModel } from '../hooks/use-delete-model';
import { useSetModelEnabled } from '../hooks/use-set-model-enabled';
import { ModelFormModal } from './model-form-modal';
import styles from './models.module.css';

type Dialog =
  | { kind: 'create' }
  | { kind: 'edit'; model: ModelView }
  | { kind: 'delete'; model: ModelView }
  | null;

const URL_DEFAULTS = { search: '' };

const matches = (model: ModelView, search: string) => {
  const q = search.trim().toLowerCase();
  if (!q) return true;
  return [model.slug, model.upstreamModel, model.credential.name].some((s) => s.toLowerCase().includes(q));
};

export function ModelsPage() {
  const { org, isAdmin } = useOrg();
  const query = useQuery(modelsQueryOptions(org.id));
  const [url, setUrl] = useUrlState(URL_DEFAULTS);
  const [dialog, setDialog] = useState<Dialog>(null);
  const searchId = useId();
  const setEnabled = useSetModelEnabled(org.id);
  const remove = useDeleteModel(org.id);
  const close = () => {
    remove.reset();
    setDialog(null);
  };

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
          value={url.search}
          onChange={(e) => setUrl({ search: e.target.value })}
        />
      </div>
      <QueryState query={query}>
        {(models) => {
          if (models.length === 0) {
            return isAdmin ? (
              <EmptyState title="No models yet" action={addButton}>
                Add a model to give clients a name to call (for example gpt-4o-mini) and route it to one of
                your <Link href="/providers">provider credentials</Link>.
              </EmptyState>
            ) : (
              <EmptyState title="No models available to you">
                Ask an admin of {org.name} to add a model or to grant you access to one.
              </EmptyState>
            );
          }
          const shown = models.filter((m) => matches(m, url.search));
          if (shown.length === 0) {
            return (
              <EmptyState
                title="No models match your search"
                action={
                  <button type="button" className="button" onClick={() => setUrl({ search: null })}>
                    Clear search
                  </button>
                }
              >
                Nothing matches “{url.search}”.
              </EmptyState>
            );
          }
          return (
            <div className={`table-wrap ${styles.tableWrap}`}>
              <table className="table">
                <caption className="visually-hidden">Models</caption>
                <thead>
                  <tr>
                    <th scope="col">Slug</th>
                    <th scope="col">Provider credential</th>
                    <th scope="col">Upstream model</th>
                    <th scope="col" className="num">
                      Price per 1M tokens <span className="muted">(input / output)</span>
                    </th>
                    <th scope="col">Enabled</th>
                    {isAdmin && (
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {shown.map((model) => {
                    const toggling = setEnabled.isPending && setEnabled.variables?.id === model.id;
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
                        </td>
                        <td>
                          {isAdmin ? (
                            <label className={`checkbox ${styles.switch}`}>
                              <input
                                type="checkbox"
                                role="switch"
                                aria-checked={model.enabled}
                                checked={model.enabled}
                                disabled={toggling}
                                aria-label={`${model.slug} enabled`}
                                onChange={(e) =>
                                  setEnabled.mutate({ id: model.id, enabled: e.target.checked })
                                }
                              />
                              <span aria-hidden="true">{model.enabled ? 'On' : 'Off'}</span>
                            </label>
                          ) : model.enabled ? (
                            'Yes'
                          ) : (
                            'No'
                          )}
                        </td>
                        {isAdmin && (
                          <td>
                            <div className={styles.actions}>
                              <button
                                type="button"
                                className="button button-small"
                                aria-label={`Edit ${model.slug}`}
                                onClick={() => setDialog({ kind: 'edit', model })}
                              >
                                Edit
                              </button>
                              <button
                                type="button"
                                className="icon-button icon-button-danger"
                                aria-label={`Delete ${model.slug}`}
                                title="Delete"
                                onClick={() => setDialog({ kind: 'delete', model })}
                              >
                                <TrashIcon />
                              </button>
                            </div>
                          </td>
                        )}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          );
        }}
      </QueryState>
      {isAdmin && (
        <>
          <ModelFormModal
            open={dialog?.kind === 'create' || dialog?.kind === 'edit'}
            model={dialog?.kind === 'edit' ? dialog.model : null}
            onClose={close}
          />
          <ConfirmDialog
            open={dialog?.kind === 'delete'}
            title="Delete model"
            message={
              dialog?.kind === 'delete' && (
                <p>
                  Are you sure you want to delete &apos;{dialog.model.slug}&apos;? Gateways answer requests
                  for it with model_not_found at once. This action cannot be undone.
                </p>
              )
            }
            confirmLabel="Delete"
            busy={remove.isPending}
            error={remove.error}
            onClose={close}
            onConfirm={() => {
              if (dialog?.kind === 'delete')
                remove.mutate({ id: dialog.model.id, slug: dialog.model.slug }, { onSuccess: close });
            }}
          />
        </>
      )}
    </div>
  );
}
