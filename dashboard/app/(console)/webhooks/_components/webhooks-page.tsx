'use client';

import type { WebhookView } from '@portcullis/shared/webhooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { DeleteDialog } from '@/components/ui/delete-dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { RequireAdmin } from '@/components/ui/require-admin';
import { type ListDialog, ListState, ResourceTable } from '@/components/ui/resource-table';
import { RowActions, RowButton, RowDeleteButton } from '@/components/ui/row-actions';
import { StatusDot } from '@/components/ui/status-dot';
import { Timestamp } from '@/components/ui/timestamp';
import { webhookDeliveriesQueryOptions, webhooksQueryOptions } from '@/lib/api/webhooks';
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

type Dialog = ListDialog<WebhookView, { kind: 'deliveries'; webhook: WebhookView }>;

function Webhooks({ protocol }: { protocol: WebhookProtocol }) {
  const { org } = useOrg();
  const query = useQuery(webhooksQueryOptions(org.id));
  const [dialog, setDialog] = useState<Dialog>(null);
  const sendTest = useSendTestWebhook(org.id);
  const remove = useDeleteWebhook(org.id);
  const close = () => setDialog(null);

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
      <ListState
        query={query}
        empty={
          <EmptyState title="No webhooks yet" action={addButton}>
            Add an endpoint to be told when a key reaches a budget alert threshold or expires, then send it a
            test delivery.
          </EmptyState>
        }
      >
        {(webhooks) => (
          <ResourceTable caption="Webhooks" columns={['URL', 'Events', 'Last delivery', 'Created']} actions>
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
                    <Timestamp value={webhook.createdAt} />
                  </td>
                  <td>
                    <RowActions>
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
                      <RowButton
                        label={`Deliveries to ${webhook.url}`}
                        onClick={() => setDialog({ kind: 'deliveries', webhook })}
                      >
                        Deliveries
                      </RowButton>
                      <RowDeleteButton
                        label={`Delete webhook ${webhook.url}`}
                        onClick={() => setDialog({ kind: 'delete', item: webhook })}
                      />
                    </RowActions>
                  </td>
                </tr>
              );
            })}
          </ResourceTable>
        )}
      </ListState>
      <CreateWebhookModal open={dialog?.kind === 'create'} onClose={close} protocol={protocol} />
      <DeliveriesDialog webhook={dialog?.kind === 'deliveries' ? dialog.webhook : null} onClose={close} />
      <DeleteDialog
        target={dialog?.kind === 'delete' ? dialog.item : null}
        title="Delete webhook"
        remove={remove}
        variables={({ id, url }) => ({ id, url })}
        onClose={close}
        message={({ url }) => (
          <p>
            Are you sure you want to delete the webhook to &apos;{url}&apos;? Its pending deliveries are
            dropped. This action cannot be undone.
          </p>
        )}
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
      <Timestamp value={last.createdAt} relative className="muted" />
    </span>
  );
}
