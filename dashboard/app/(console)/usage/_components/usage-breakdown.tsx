'use client';

import type { ReactNode } from 'react';
import { Tabs } from '@/components/ui/tabs';
import type { UsageReport, UsageSums } from '@/lib/api/usage';
import { formatNumber, formatPercent } from '@/lib/format';
import styles from './usage.module.css';
import { formatSpend, shareOf } from './usage-format';

interface Row extends UsageSums {
  id: string;
  name: ReactNode;
}

const keyRows = (report: UsageReport): Row[] =>
  report.byKey.map((k) => ({
    ...k,
    id: k.keyId,
    name: k.name ?? <span className="muted">Deleted key</span>,
  }));

const userRows = (report: UsageReport): Row[] =>
  report.byUser.map((u) => ({
    ...u,
    id: u.userId,
    name: u.name ? (
      <>
        {u.name} {u.email && <span className="muted">{u.email}</span>}
      </>
    ) : (
      (u.email ?? <span className="muted">Former member</span>)
    ),
  }));

const modelRows = (report: UsageReport): Row[] =>
  report.byModel.map((m) => ({
    ...m,
    id: m.model ?? '',
    // Requests that never reached a model (refused before routing, `/v1/models`) have none.
    name: m.model ? <span className="mono">{m.model}</span> : <span className="muted">No model</span>,
  }));

function BreakdownTable({
  caption,
  nameHeader,
  rows,
  totals,
}: {
  caption: string;
  nameHeader: string;
  rows: Row[];
  totals: UsageSums;
}) {
  if (rows.length === 0) return <p className="muted">No requests in this period.</p>;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{nameHeader}</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Errors
            </th>
            <th scope="col" className="num">
              Input tokens
            </th>
            <th scope="col" className="num">
              Output tokens
            </th>
            <th scope="col" className="num">
              Spend
            </th>
            <th scope="col" className="num">
              Share of requests
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <th scope="row" className={styles.rowName}>
                {r.name}
              </th>
              <td className="num">{formatNumber(r.requests)}</td>
              <td className="num">{formatNumber(r.errors)}</td>
              <td className="num">{formatNumber(r.inputTokens)}</td>
              <td className="num">{formatNumber(r.outputTokens)}</td>
              <td className="num">{formatSpend(r.costUsd)}</td>
              <td className="num">{formatPercent(shareOf(r.requests, totals.requests))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Totals split by key, user (admins) and model; the chosen tab is kept in the URL. */
export function UsageBreakdown({
  report,
  isAdmin,
  by,
  onBy,
}: {
  report: UsageReport;
  isAdmin: boolean;
  by: string;
  onBy: (by: string) => void;
}) {
  const tabs = [
    { id: 'key', label: 'By key' },
    ...(isAdmin ? [{ id: 'user', label: 'By user' }] : []),
    { id: 'model', label: 'By model' },
  ];
  const selected = tabs.some((t) => t.id === by) ? by : 'key';
  return (
    <section aria-labelledby="usage-breakdown-heading" className={styles.section}>
      <h2 id="usage-breakdown-heading">Breakdown</h2>
      <Tabs tabs={tabs} selected={selected} onSelect={onBy} label="Breakdown">
        {(id) =>
          id === 'key' ? (
            <BreakdownTable
              caption="Usage by key"
              nameHeader="Key"
              rows={keyRows(report)}
              totals={report.totals}
            />
          ) : id === 'user' ? (
            <BreakdownTable
              caption="Usage by user"
              nameHeader="User"
              rows={userRows(report)}
              totals={report.totals}
            />
          ) : (
            <BreakdownTable
              caption="Usage by model"
              nameHeader="Model"
              rows={modelRows(report)}
              totals={report.totals}
            />
          )
        }
      </Tabs>
    </section>
  );
}
