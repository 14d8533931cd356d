'use client';

import { LIMIT_FIELDS } from '@portcullis/shared/api-keys';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { CopyButton } from '@/components/ui/copy-button';
import { FormErrors, PendingButton } from '@/components/ui/form-parts';
import { Modal } from '@/components/ui/modal';
import { ErrorAlert, Loading } from '@/components/ui/query-state';
import { ResourceTable } from '@/components/ui/resource-table';
import { StatusDot } from '@/components/ui/status-dot';
import { Tabs } from '@/components/ui/tabs';
import {
  type KeyAction,
  type KeyDetail,
  keyActions,
  keyQueryOptions,
  keyRequestsQueryOptions,
} from '@/lib/api/keys';
import { PROVIDER_LABELS } from '@/lib/api/providers';
import { formatDateTime, formatNumber, formatPercent, formatRelative, formatUsd } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { EffectiveLimitsTable } from '../../_components/policy/effective-limits-table';
import { LIMIT_LABELS } from '../../_components/policy/limit-fields';
import { useActivateKey } from '../hooks/use-activate-key';
import { useDeactivateKey } from '../hooks/use-deactivate-key';
import styles from './keys.module.css';
import { ownerLabel } from './keys-table';

const MCP_MODE_TEXT: Record<string, string> = {
  allow_all: 'Allow all',
  deny_all: 'Deny all',
  allow_list: 'Allow list',
  deny_list: 'Deny list',
};

/** Single requests often cost fractions of a cent: say "under" rather than show $0.00. */
const formatCost = (usd: number): string => (usd > 0 && usd < 0.0001 ? '< $0.0001' : formatUsd(usd));

type DialogAction = Exclude<KeyAction, 'activate' | 'deactivate'>;

export function KeyDetailDialog({
  keyId,
  onClose,
  onAction,
}: {
  keyId: string;
  onClose: () => void;
  onAction: (action: DialogAction, key: KeyDetail) => void;
}) {
  const { org } = useOrg();
  const query = useQuery(keyQueryOptions(org.id, keyId));
  const title = query.data?.name ?? 'API key';
  return (
    <Modal open title={title} onClose={onClose} size="wide">
      {query.isPending ? (
        <Loading label="Loading the key…" rows={6} />
      ) : query.isError ? (
        <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <KeyDetailBody detail={query.data} onAction={onAction} />
      )}
    </Modal>
  );
}

function KeyDetailBody({
  detail,
  onAction,
}: {
  detail: KeyDetail;
  onAction: (action: DialogAction, key: KeyDetail) => void;
}) {
  const [tab, setTab] = useState('overview');
  const { isAdmin } = useOrg();
  const activate = useActivateKey();
  const deactivate = useDeactivateKey();
  // A key an admin deactivated is the admins' to activate again: a member is told so instead.
  const heldByAdmin = !isAdmin && detail.status === 'inactive' && detail.deactivatedByAdmin;
  const actions = keyActions(detail.status).filter((a) => !(heldByAdmin && a === 'activate'));
  const has = (action: KeyAction) => actions.includes(action);
  const stateError = activate.error ?? deactivate.error;

  return (
    <div className={styles.detailBody}>
      <div className="button-row">
        {has('edit') && (
          <button type="button" className="button" onClick={() => onAction('edit', detail)}>
            Edit
          </button>
        )}
        {has('rotate') && (
          <button type="button" className="button" onClick={() => onAction('rotate', detail)}>
            Rotate key
          </button>
        )}
        {has('ephemeral') && (
          <button type="button" className="button" onClick={() => onAction('ephemeral', detail)}>
            Ephemeral token
          </button>
        )}
        {has('deactivate') && (
          <PendingButton
            className="button"
            pending={deactivate.isPending}
            onClick={() => {
              activate.reset();
              deactivate.mutate(detail.id);
            }}
          >
            Deactivate
          </PendingButton>
        )}
        {has('activate') && (
          <PendingButton
            className="button"
            pending={activate.isPending}
            onClick={() => {
              deactivate.reset();
              activate.mutate(detail.id);
            }}
          >
            Activate
          </PendingButton>
        )}
        {has('revoke') && (
          <button type="button" className="button" onClick={() => onAction('revoke', detail)}>
            Revoke
          </button>
        )}
        {has('delete') && (
          <button type="button" className="button button-danger" onClick={() => onAction('delete', detail)}>
            Delete
          </button>
        )}
      </div>
      {heldByAdmin && <p className="muted">An admin deactivated this key; only an admin can activate it.</p>}
      <FormErrors error={stateError} general={stateError !== null} />
      <Tabs
        label="Key details"
        selected={tab}
        onSelect={setTab}
        tabs={[
          { id: 'overview', label: 'Overview' },
          { id: 'limits', label: 'Effective limits' },
          { id: 'usage', label: 'Usage history' },
        ]}
      >
        {(id) =>
          id === 'overview' ? (
            <Overview detail={detail} />
          ) : id === 'limits' ? (
            <EffectiveLimits detail={detail} />
          ) : (
            <UsageHistory keyId={detail.id} />
          )
        }
      </Tabs>
    </div>
  );
}

const anyOr = (list: readonly string[], render: (items: readonly string[]) => string, any: string) =>
  list.length === 0 ? <span className="muted">{any}</span> : render(list);

function Overview({ detail }: { detail: KeyDetail }) {
  const now = Date.now();
  const metadata = Object.keys(detail.metadata).length > 0 ? JSON.stringify(detail.metadata, null, 2) : null;
  return (
    <dl className="stat-list">
      <dt>Status</dt>
      <dd>
        <StatusDot status={detail.status} />
      </dd>
      <dt>Owner</dt>
      <dd>
        {ownerLabel(detail)}
        {detail.owner?.name && detail.owner.email && <span className="muted"> ({detail.owner.email})</span>}
      </dd>
      <dt>Prefix</dt>
      <dd className={styles.prefix}>
        <code className="mono">{detail.prefix}</code>
        <CopyButton value={detail.prefix} className="button button-small" ariaLabel="Copy the prefix" />
      </dd>
      <dt>Expires</dt>
      <dd>{detail.expiresAt ? formatDateTime(detail.expiresAt) : 'Never'}</dd>
      <dt>Last used</dt>
      <dd>
        {detail.lastUsedAt ? (
          <time dateTime={detail.lastUsedAt} title={formatDateTime(detail.lastUsedAt)}>
            {formatRelative(detail.lastUsedAt, now)}
          </time>
        ) : (
          'Never'
        )}
      </dd>
      <dt>Last rotated</dt>
      <dd>{detail.lastRotatedAt ? formatDateTime(detail.lastRotatedAt) : 'Never'}</dd>
      <dt>Created</dt>
      <dd>{formatDateTime(detail.createdAt)}</dd>
      <dt>Requests</dt>
      <dd>
        {formatNumber(detail.requestCount)}{' '}
        <span className="muted">({formatPercent(detail.usageShare)} of the organization's traffic)</span>
      </dd>
      <dt>Key limits</dt>
      <dd>
        {LIMIT_FIELDS.filter((f) => detail.limits[f] !== null).length === 0 ? (
          <span className="muted">None of its own</span>
        ) : (
          LIMIT_FIELDS.filter((f) => detail.limits[f] !== null)
            .map((f) => `${LIMIT_LABELS[f].label}: ${formatNumber(detail.limits[f])}`)
            .join(' · ')
        )}
      </dd>
      <dt>Budget</dt>
      <dd>
        {detail.budget ? (
          `${formatUsd(detail.budget.spentUsd)} of ${formatUsd(detail.budget.limitUsd)} (${detail.budget.period})${
            detail.budget.alertThresholds.length > 0
              ? `, alerts at ${detail.budget.alertThresholds.join(', ')} %`
              : ''
          }`
        ) : (
          <span className="muted">None</span>
        )}
      </dd>
      <dt>Providers</dt>
      <dd>
        {anyOr(
          detail.allowedProviders,
          (l) => l.map((p) => PROVIDER_LABELS[p as keyof typeof PROVIDER_LABELS] ?? p).join(', '),
          'Any',
        )}
      </dd>
      <dt>Models</dt>
      <dd>{anyOr(detail.allowedModels, (l) => l.join(', '), 'Any the owner may use')}</dd>
      <dt>IP allowlist</dt>
      <dd>{anyOr(detail.ipAllowlist, (l) => l.join(', '), 'Any address')}</dd>
      <dt>MCP</dt>
      <dd>
        {detail.mcp.enabled ? (
          <>
            {MCP_MODE_TEXT[detail.mcp.mode] ?? detail.mcp.mode}
            {detail.mcp.servers.length > 0 &&
              `: ${detail.mcp.servers.map((s) => mcpServerText(detail.mcp, s)).join('; ')}`}
          </>
        ) : (
          <span className="muted">Off</span>
        )}
      </dd>
      <dt>Metadata</dt>
      <dd>{metadata ? <pre>{metadata}</pre> : <span className="muted">None</span>}</dd>
    </dl>
  );
}

function EffectiveLimits({ detail }: { detail: KeyDetail }) {
  const { effective } = detail;
  const models = effective.models;
  return (
    <div className={styles.detailSection}>
      <p className="muted">
        What every gateway holds this key to: for each limit the strictest of the key's own, its owner's and
        the owner's groups', and every budget that applies.
      </p>
      <EffectiveLimitsTable
        limits={effective.limits}
        renderSource={(source) => (source ? `${source.type} “${source.name}”` : '—')}
      />
      <h3 className={styles.subheading}>Model access</h3>
      <p>
        {models.all
          ? 'Every model of the organization.'
          : models.allowed.length === 0
            ? 'No model: the owner has no model access grants.'
            : `Only: ${models.allowed.join(', ')}.`}{' '}
        <span className="muted">
          {models.basis === 'admin'
            ? 'The owner is an admin.'
            : models.basis === 'grants'
              ? 'From the model access grants of the owner and their groups.'
              : models.basis === 'no_grants_all'
                ? 'No grants anywhere, and the organization allows every model then.'
                : models.basis === 'no_grants_none'
                  ? 'No grants anywhere, and the organization allows no model then.'
                  : ''}
          {models.narrowedByKey ? ' Narrowed by the key’s allowed models.' : ''}
        </span>
      </p>
      <h3 className={styles.subheading}>Budgets</h3>
      {effective.budgets.length === 0 ? (
        <p className="muted">No budget applies to this key.</p>
      ) : (
        <ResourceTable
          caption="Budgets that apply"
          columns={[
            'Set by',
            'Period',
            { key: 'Limit', label: 'Limit', className: 'num' },
            { key: 'Spent', label: 'Spent', className: 'num' },
            'Alerts',
          ]}
        >
          {effective.budgets.map((budget) => (
            <tr key={`${budget.scope.type}-${budget.scope.id}-${budget.period}`}>
              <td>
                {budget.scope.type} “{budget.scope.name}”
              </td>
              <td>{budget.period}</td>
              <td className="num">{formatUsd(budget.limitUsd)}</td>
              <td className="num">{budget.spentUsd === undefined ? '—' : formatUsd(budget.spentUsd)}</td>
              <td>{budget.alertThresholds.length > 0 ? `${budget.alertThresholds.join(', ')} %` : '—'}</td>
            </tr>
          ))}
        </ResourceTable>
      )}
    </div>
  );
}

function UsageHistory({ keyId }: { keyId: string }) {
  const { org } = useOrg();
  const [trail, setTrail] = useState<string[]>([]);
  const cursor = trail[trail.length - 1] ?? '';
  const query = useQuery(keyRequestsQueryOptions(org.id, keyId, cursor));

  if (query.isPending) return <Loading label="Loading usage history…" rows={4} />;
  if (query.isError) return <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />;
  const rows = query.data.data;
  if (rows.length === 0 && trail.length === 0) {
    return (
      <p className="muted">
        No requests yet. Calls through any gateway with this key appear here a few seconds after they finish.
      </p>
    );
  }
  return (
    <div className={styles.detailSection}>
      <ResourceTable
        caption="Recent requests, newest first"
        columns={[
          'Time',
          'Model',
          'Status',
          { key: 'Tokens in / out', label: 'Tokens in / out', className: 'num' },
          { key: 'Cost', label: 'Cost', className: 'num' },
          { key: 'Latency', label: 'Latency', className: 'num' },
        ]}
      >
        {rows.map((row) => (
          <tr key={row.id}>
            <td>
              <time dateTime={row.time}>{formatDateTime(row.time)}</time>
            </td>
            <td className="mono">{row.model ?? '—'}</td>
            <td>
              <span className={row.status >= 400 ? styles.httpError : undefined}>{row.status}</span>
              {row.errorCode && <span className="muted"> {row.errorCode}</span>}
            </td>
            <td className="num">
              {formatNumber(row.inputTokens)} / {formatNumber(row.outputTokens)}
              {row.estimated && (
                <span
                  className="muted"
                  title="The provider reported no usage: the gateway estimated these tokens from the sizes"
                >
                  {' '}
                  (estimated)
                </span>
              )}
              {(row.cacheCreationInputTokens > 0 || row.cacheReadInputTokens > 0) && (
                <div className="muted">
                  cache {formatNumber(row.cacheCreationInputTokens)} written ·{' '}
                  {formatNumber(row.cacheReadInputTokens)} read
                </div>
              )}
            </td>
            <td className="num">{formatCost(row.costUsd)}</td>
            <td className="num">{formatNumber(Math.round(row.latencyMs))} ms</td>
          </tr>
        ))}
      </ResourceTable>
      <nav className="pagination" aria-label="Pages of usage history">
        <button
          type="button"
          className="button button-small"
          disabled={trail.length === 0}
          onClick={() => setTrail(trail.slice(0, -1))}
        >
          Previous
        </button>
        <span className="muted">Page {trail.length + 1}</span>
        <button
          type="button"
          className="button button-small"
          disabled={!query.data.nextCursor || query.isPlaceholderData}
          onClick={() => {
            const next = query.data.nextCursor;
            if (next) setTrail([...trail, next]);
          }}
        >
          Next
        </button>
      </nav>
    </div>
  );
}

/** `github (tools: a, b; resources: file:///docs/*; prompts: none)`: a server's lists, as set. */
function mcpServerText(mcp: KeyDetail['mcp'], server: string): string {
  const parts = (['tools', 'resources', 'prompts'] as const).flatMap((list) => {
    const entries = Object.hasOwn(mcp[list] ?? {}, server) ? mcp[list][server] : undefined;
    return entries ? [`${list}: ${entries.length === 0 ? 'none' : entries.join(', ')}`] : [];
  });
  return parts.length > 0 ? `${server} (${parts.join('; ')})` : server;
}
