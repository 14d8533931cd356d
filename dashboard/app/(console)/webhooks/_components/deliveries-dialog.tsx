'use client';

import type { WebhookView } from '@portcullis/shared/webhooks';
import { useQuery } from '@tanstack/react-query';
import { EmptyState } from '@/components/ui/empty-state';
import { Modal } from '@/components/ui/modal';
import { QueryState } from '@/components/ui/query-state';
import { StatusDot } from '@/components/ui/status-dot';
import { errorMessage } from '@/lib/api/errors';
import { DELIVERIES_SHOWN, webhookDeliveriesQueryOptions } from '@/lib/api/webhooks';
import { formatDateTime, formatRelative } from '@/lib/format';
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
            <div className={`table-wrap ${styles.tableWrap}`}>
              <table className="table">
                <caption className="visually-hidden">Deliveries to {webhook.url}</caption>
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">
                      Attempts
                    </th>
                    <th scope="col" className="num">
                      Response
                    </th>
                    <th scope="col">Error</th>
                    <th scope="col">Created</th>
                    <th scope="col">Delivered</th>
                  </tr>
                </thead>
                <tbody>
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
                        <time dateTime={d.createdAt} title={formatDateTime(d.createdAt)}>
                          {formatRelative(d.createdAt)}
                        </time>
                      </td>
                      <td>
                        {d.deliveredAt ? (
                          <time dateTime={d.deliveredAt} title={formatDateTime(d.deliveredAt)}>
                            {formatRelative(d.deliveredAt)}
                          </time>
                        ) : (
                          '—'
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
    </>
  );
}
