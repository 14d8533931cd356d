'use client';

import type { WebhookView } from '@portcullis/shared/webhooks';
import { useQuery } from '@tanstack/react-query';
import { EmptyState } from '@/components/ui/empty-state';
import { Modal } from '@/components/ui/modal';
import { QueryState } from '@/components/ui/query-state';
import { ResourceTable } from '@/components/ui/resource-table';
import { StatusDot } from '@/components/ui/status-dot';
import { Timestamp } from '@/components/ui/timestamp';
import { errorMessage } from '@/lib/api/errors';
import { DELIVERIES_SHOWN, webhookDeliveriesQueryOptions } from '@/lib/api/webhooks';
import { useOrg } from '@/lib/org-context';
import { useSendTestWebhook } from '../hooks/use-send-test-webhook';
import { DELIVERY_STATUS_LABELS } from './protocol';
import styles from './webhooks.module.css';

/** One endpoint's deliveries, newest first, polled while any is pending. */
export function DeliveriesDialog({ webhook, onClose }: { webhook: WebhookView | null; onClose: () => void }) {
  return (
    <Modal
      open={webhook !== null}
      title="Deliveries"
      onClose={onClose}
      size="wide"
      description={webhook && <span className="mono">{webhook.url}</span>}
      footer={
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      }
    >
      {webhook && <Deliveries webhook={webhook} />}
    </Modal>
  );
}

function Deliveries({ webhook }: { webhook: WebhookView }) {
  const { org } = useOrg();
  const query = useQuery(webhookDeliveriesQueryOptions(org.id, webhook.id));
  const sendTest = useSendTestWebhook(org.id);

  return (
    <>
      <div className={styles.deliveriesHeader}>
        <p className="muted">The {DELIVERIES_SHOWN} newest deliveries, with every attempt’s outcome.</p>
        <button
          type="button"
          className="button"
          disabled={sendTest.isPending}
          onClick={() => sendTest.mutate(webhook.id)}
        >
          {sendTest.isPending && <span className="spinner" aria-hidden="true" />}
          Send test
        </button>
      </div>
      {sendTest.isError && (
        <p className="alert" role="alert">
          {errorMessage(sendTest.error)}
        </p>
      )}
      <QueryState query={query}>
        {({ data: deliveries }) =>
          deliveries.length === 0 ? (
            <EmptyState title="No deliveries yet">
              Send a test to check that the endpoint answers 2xx and verifies the signature.
            </EmptyState>
          ) : (
            <ResourceTable
              caption={<>Deliveries to {webhook.url}</>}
              columns={[
                'Event',
                'Status',
                { key: 'attempts', label: 'Attempts', className: 'num' },
                { key: 'response', label: 'Response', className: 'num' },
                'Error',
                'Created',
                'Delivered',
              ]}
            >
              {deliveries.map((d) => (
                <tr key={d.id}>
                  <td>
                    <code className="mono">{d.type}</code>
                  </td>
                  <td>
                    <StatusDot status={d.status} label={DELIVERY_STATUS_LABELS[d.status]} />
                  </td>
                  <td className="num">{d.attempts}</td>
                  <td className="num">{d.lastStatusCode ?? '—'}</td>
                  <td className={styles.errorCell} title={d.lastError ?? undefined}>
                    {d.lastError ?? '—'}
                  </td>
                  <td>
                    <Timestamp value={d.createdAt} relative />
                  </td>
                  <td>{d.deliveredAt ? <Timestamp value={d.deliveredAt} relative /> : '—'}</td>
                </tr>
              ))}
            </ResourceTable>
          )
        }
      </QueryState>
    </>
  );
}
