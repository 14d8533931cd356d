'use client';

import { useQuery } from '@tanstack/react-query';
import { ErrorAlert } from '@/components/ui/query-state';
import { auditVerifyQueryOptions } from '@/lib/api/audit';
import { formatDateTime, formatNumber } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import styles from './audit.module.css';

const events = (n: number) => `${formatNumber(n)} ${n === 1 ? 'event' : 'events'}`;

/** The hash chain's check: re-computed by the control plane on every request, on demand again. */
export function ChainVerification() {
  const { org } = useOrg();
  const verify = useQuery(auditVerifyQueryOptions(org.id));
  const result = verify.data;

  return (
    <section className={`card ${styles.verification}`} aria-labelledby="chain-heading">
      <div className={styles.verificationHeader}>
        <h2 id="chain-heading">Chain verification</h2>
        <button
          type="button"
          className="button button-small"
          onClick={() => void verify.refetch()}
          disabled={verify.isFetching}
        >
          {verify.isFetching && <span className="spinner" aria-hidden="true" />}
          Verify again
        </button>
      </div>
      <div aria-live="polite" aria-busy={verify.isFetching || undefined} className={styles.verificationBody}>
        {verify.isPending ? (
          <p className="muted">Verifying the chain…</p>
        ) : verify.isError ? (
          <ErrorAlert error={verify.error} onRetry={() => void verify.refetch()} />
        ) : result?.ok ? (
          <p className={`success-box ${styles.result}`}>
            <span className="status status-ok">
              <span className="status-dot" aria-hidden="true" />
              <strong>Chain verified: {events(result.checked)}, intact</strong>
            </span>
            <span className="muted">
              Every record re-hashes to its stored hash and links to the one before it.
            </span>
          </p>
        ) : result ? (
          <div className={`alert ${styles.result}`} role="alert">
            <span className="status status-broken">
              <span className="status-dot" aria-hidden="true" />
              <strong>
                Chain broken
                {result.brokenAtSeq !== undefined ? ` at record #${result.brokenAtSeq}` : ''}
              </strong>
            </span>
            <span>
              {result.reason ? `${result.reason.charAt(0).toUpperCase()}${result.reason.slice(1)}. ` : ''}
              {events(result.checked)} checked before it. The records after that point cannot be trusted.
            </span>
          </div>
        ) : null}
        {verify.dataUpdatedAt > 0 && !verify.isPending && (
          <p className="field-hint">Checked {formatDateTime(new Date(verify.dataUpdatedAt).toISOString())}</p>
        )}
      </div>
    </section>
  );
}
