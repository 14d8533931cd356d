'use client';

import type { WebhookView } from '@portcullis/shared/webhooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { RequireAdmin } from '@/components/ui/require-admin';
import { StatusDot } from '@/components/ui/status-dot';
import { TrashIcon } from '@/components/ui/trash-icon';
import { webhookDeliveriesQueryOptions, webhooksQueryOptions } from '@/lib/api/webhooks';
import { formatDate, formatDateTime, formatRelative } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { useDeleteWebhook } from '../hooks/use-delete-webhook';
import { useSendTestWebhook } from '../hooks/use-send-test-webhook';
import { CreateWebhookModal } from './create-webhook-modal';
import { DeliveriesDialog } from './deliveries-dialog';
import { DELIVERY_STATUS_LABELS, type WebhookProtocol } from './protocol';
import styles from './webhooks.module.css';

export function WebhooksPage({ protocol }: { protocol: WebhookProtocol }) {
  return (
    <RequireAdmin>
      <Webhooks protocol={protocol} />
    </RequireAdmin>
  );
}

type Dialog =
  | { kind: 'create' }
  | { kind: 'deliveries'; webhook: WebhookView }
  | { kind: 'delete'; webhook: WebhookView }
  | null;

function Webhooks({ protocol }: { protocol: WebhookProtocol }) {
  const { org } = useOrg();
  const query = useQuery(webhooksQueryOptions(org.id));
  const [dialog, setDialog] = useState<Dialog>(null);
  const sendTest = useSendTestWebhook(org.id);
  const remove = useDeleteWebhook(org.id);
  const close = () => {
    remove.reset();
    setDialog(null);
  };

  const addButton = (
    <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'create' })}>
      Add webhook
    </button>
  );

  return (
    <div className="page-stack">
      <PageHeader
        title="Webhooks"
        description="HTTPS endpoints that receive signed events: budget alerts, expired keys and test deliveries."
        actions={addButton}
      />
      <QueryState query={query}>
        {(webhooks) =>
          webhooks.length === 0 ? (
            <EmptyState title="No webhooks yet" action={addButton}>
              Add an endpoint to be told when a key reaches a budget alert threshold or expires, then send it
              a test delivery.
            </EmptyState>
          ) : (
            <div className={`table-wrap ${styles.tableWrap}`}>
              <table className="table">
                <caption className="visually-hidden">Webhooks</caption>
                <thead>
                  <tr>
                    <th scope="col">URL</th>
                    <th scope="col">Events</th>
                    <th scope="col">Last delivery</th>
                    <th scope="col">Created</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {webhooks.map((webhook) => {
                    const sending = sendTest.isPending && sendTest.variables === webhook.id;
                    return (
                      <tr key={webhook.id}>
                        <td>
                          <span className={`mono ${styles.url}`} title={webhook.url}>
                            {webhook.url}
                          </span>
                          {webhook.description && (
                            <p className={`muted ${styles.description}`}>{webhook.description}</p>
                          )}
                          <p className={`muted ${styles.description}`}>
                            Secret <code className="mono">{webhook.secretPreview}</code>
                          </p>
                        </td>
                        <td>
                          <ul className={styles.events}>
                            {webhook.events.map((e) => (
                              <li key={e}>
                                <code className="mono">{e}</code>
                              </li>
                            ))}
                          </ul>
                        </td>
                        <td>
                          <LastDelivery webhookId={webhook.id} />
                        </td>
                        <td>
                          <time dateTime={webhook.createdAt} title={formatDateTime(webhook.createdAt)}>
                            {formatDate(webhook.createdAt)}
                          </time>
                        </td>
                        <td>
                          <div className={styles.actions}>
                            <button
                              type="button"
                              className="button button-small"
                              aria-label={`Send test to ${webhook.url}`}
                              disabled={sending}
                              onClick={() => sendTest.mutate(webhook.id)}
                            >
                              {sending && <span className="spinner" aria-hidden="true" />}
                              Send test
                            </button>
                            <button
                              type="button"
                              className="button button-small"
                              aria-label={`Deliveries to ${webhook.url}`}
                              onClick={() => setDialog({ kind: 'deliveries', webhook })}
                            >
                              Deliveries
                            </button>
                            <button
                              type="button"
                              className="icon-button icon-button-danger"
                              aria-label={`Delete webhook ${webhook.url}`}
                              title="Delete"
                              onClick={() => setDialog({ kind: 'delete', webhook })}
                            >
                              <TrashIcon />
                            </button>
                          </div>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
      <CreateWebhookModal open={dialog?.kind === 'create'} onClose={close} protocol={protocol} />
      <DeliveriesDialog webhook={dialog?.kind === 'deliveries' ? dialog.webhook : null} onClose={close} />
      <ConfirmDialog
        open={dialog?.kind === 'delete'}
        title="Delete webhook"
        message={
          dialog?.kind === 'delete' && (
            <p>
              Are you sure you want to delete the webhook to &apos;{dialog.webhook.url}&apos;? Its pending
              deliveries are dropped. This action cannot be undone.
            </p>
          )
        }
        confirmLabel="Delete"
        busy={remove.isPending}
        error={remove.error}
        onClose={close}
        onConfirm={() => {
          if (dialog?.kind === 'delete')
            remove.mutate({ id: dialog.webhook.id, url: dialog.webhook.url }, { onSuccess: close });
        }}
      />
    </div>
  );
}

/** The newest delivery's status; shares its cache with the deliveries dialog. */
function LastDelivery({ webhookId }: { webhookId: string }) {
  const { org } = useOrg();
  const query = useQuery(webhookDeliveriesQueryOptions(org.id, webhookId));
  if (query.isPending) return <span className="muted">…</span>;
  if (query.isError) return <span className="muted">Unavailable</span>;
  const last = query.data.data[0];
  if (!last) return <span className="muted">None yet</span>;
  return (
    <span className={styles.lastDelivery}>
      <StatusDot status={last.status} label={DELIVERY_STATUS_LABELS[last.status]} />
      <time className="muted" dateTime={last.createdAt} title={formatDateTime(last.createdAt)}>
        {formatRelative(last.createdAt)}
      </time>
    </span>
  );
}
