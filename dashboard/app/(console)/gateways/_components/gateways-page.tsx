'use client';

import type { GatewayView } from '@portcullis/shared/gateways';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { DeleteDialog } from '@/components/ui/delete-dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { RequireAdmin } from '@/components/ui/require-admin';
import { ListState, ResourceTable } from '@/components/ui/resource-table';
import { RowDeleteButton } from '@/components/ui/row-actions';
import { StatusDot } from '@/components/ui/status-dot';
import { Timestamp } from '@/components/ui/timestamp';
import { GATEWAYS_REFRESH_MS, gatewaysQueryOptions } from '@/lib/api/gateways';
import { formatNumber } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { useDeleteGateway } from '../hooks/use-delete-gateway';
import { AttachGatewayModal } from './attach-gateway-modal';
import styles from './gateways.module.css';

export function GatewaysPage({ controlPlaneUrl }: { controlPlaneUrl: string | null }) {
  return (
    <RequireAdmin>
      <Gateways controlPlaneUrl={controlPlaneUrl} />
    </RequireAdmin>
  );
}

const STATUS: Record<GatewayView['status'], { dot: string; label: string }> = {
  online: { dot: 'online', label: 'Online' },
  stale: { dot: 'stale', label: 'Stale' },
  never_seen: { dot: 'offline', label: 'Never seen' },
};

const lagText = (lag: number | null) => {
  if (lag === null) return '—';
  if (lag === 0) return 'Up to date';
  return `${formatNumber(lag)} ${lag === 1 ? 'version' : 'versions'} behind`;
};

function Gateways({ controlPlaneUrl }: { controlPlaneUrl: string | null }) {
  const { org } = useOrg();
  const query = useQuery(gatewaysQueryOptions(org.id));
  const [attaching, setAttaching] = useState(false);
  const [detach, setDetach] = useState<GatewayView | null>(null);
  const remove = useDeleteGateway(org.id);
  // Relative times are computed against the moment the data arrived, so they agree with the status.
  const now = query.dataUpdatedAt || Date.now();

  const attachButton = (
    <button type="button" className="button button-primary" onClick={() => setAttaching(true)}>
      Attach a gateway
    </button>
  );

  return (
    <div className="page-stack">
      <PageHeader
        title="Gateways"
        description={`Edge gateways serving ${org.name}'s keys, with the snapshot version each one holds. Refreshed every ${GATEWAYS_REFRESH_MS / 1000} seconds.`}
        actions={attachButton}
      />
      <ListState
        query={query}
        empty={
          <EmptyState title="No gateways attached yet" action={attachButton}>
            Attach a gateway to get its token, then start the gateway with that token, the control plane URL
            and your Redis: it registers, loads the organization&apos;s snapshot and shows up here.
          </EmptyState>
        }
      >
        {(gateways) => (
          <ResourceTable
            caption="Gateways"
            columns={[
              'Name',
              'Status',
              { key: 'snapshot', label: 'Snapshot version', className: 'num' },
              'Lag',
              'Last seen',
              'Gateway version',
              'Attached',
            ]}
            actions
          >
            {gateways.map((gateway) => {
              const status = STATUS[gateway.status] ?? { dot: 'offline', label: gateway.status };
              return (
                <tr key={gateway.id}>
                  <td>
                    <span className={styles.name}>{gateway.name}</span>
                    {gateway.instanceId && (
                      <span className={`mono muted ${styles.instance}`} title={gateway.instanceId}>
                        <span className="visually-hidden">Instance </span>
                        {gateway.instanceId}
                      </span>
                    )}
                  </td>
                  <td>
                    <StatusDot status={status.dot} label={status.label} />
                  </td>
                  <td className="num">
                    {gateway.snapshotVersion === null ? '—' : formatNumber(gateway.snapshotVersion)}
                  </td>
                  <td className={gateway.lag ? styles.behind : undefined}>{lagText(gateway.lag)}</td>
                  <td>
                    {gateway.lastSeenAt ? (
                      <Timestamp value={gateway.lastSeenAt} relative now={now} />
                    ) : (
                      'Never'
                    )}
                  </td>
                  <td>{gateway.version ?? '—'}</td>
                  <td>
                    <Timestamp value={gateway.createdAt} />
                  </td>
                  <td>
                    <RowDeleteButton
                      label={`Detach ${gateway.name}`}
                      title="Detach"
                      onClick={() => setDetach(gateway)}
                    />
                  </td>
                </tr>
              );
            })}
          </ResourceTable>
        )}
      </ListState>
      <AttachGatewayModal
        open={attaching}
        onClose={() => setAttaching(false)}
        controlPlaneUrl={controlPlaneUrl}
      />
      <DeleteDialog
        target={detach}
        title="Detach gateway"
        confirmLabel="Detach"
        remove={remove}
        variables={({ id, name }) => ({ id, name })}
        onClose={() => setDetach(null)}
        message={({ name }) => (
          <p>
            Are you sure you want to detach &apos;{name}&apos;? Its token stops working at once: the gateway
            can no longer register or fetch snapshots. This action cannot be undone.
          </p>
        )}
      />
    </div>
  );
}
