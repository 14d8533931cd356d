'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { gatewaysQueryOptions } from '@/lib/api/gateways';
import { allKeysQueryOptions, usageQueryOptions } from '@/lib/api/usage';
import { formatNumber } from '@/lib/format';
import { type OrgContextValue, useOrgContext } from '@/lib/org-context';
import { type StatTile, StatTiles, TileError } from '../usage/_components/stat-tiles';
import { formatSpend } from '../usage/_components/usage-format';
import { NAV_ITEMS } from './nav-items';
import { OrganizationList } from './organization-list';

export function AccountOverview() {
  const { user, organizations, org, isAdmin } = useOrgContext();
  const items = NAV_ITEMS.filter((item) => isAdmin || !item.adminOnly);
  return (
    <div className="page-stack">
      <div className="page-header">
        <h1>Welcome{user.name ? `, ${user.name}` : ''}</h1>
      </div>
      {org && <Headlines org={org} isAdmin={isAdmin} />}
      <section className="card" aria-labelledby="organizations-heading">
        <h2 id="organizations-heading">Organizations</h2>
        <OrganizationList organizations={organizations} />
      </section>
      {org && (
        <section className="card" aria-labelledby="start-heading">
          <h2 id="start-heading">In {org.name}</h2>
          <ul className="link-list">
            {items.map((item) => (
              <li key={item.href}>
                <Link href={item.href}>{item.label}</Link>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

/** The selected organization at a glance: each number links to the page that explains it. */
function Headlines({ org, isAdmin }: { org: NonNullable<OrgContextValue['org']>; isAdmin: boolean }) {
  const keys = useQuery(allKeysQueryOptions(org.id));
  const usage = useQuery(usageQueryOptions(org.id, { range: '24h' }));
  const gateways = useQuery({ ...gatewaysQueryOptions(org.id), enabled: isAdmin });

  const activeKeys = keys.data?.filter((k) => k.status === 'active').length;
  const totals = usage.data?.totals;
  const online = gateways.data?.filter((g) => g.status === 'online').length;

  const tiles: StatTile[] = [
    {
      label: isAdmin ? 'Active keys' : 'Your active keys',
      value: keys.isError ? (
        <TileError message="Could not load keys." onRetry={() => void keys.refetch()} />
      ) : activeKeys === undefined ? null : (
        formatNumber(activeKeys)
      ),
      detail: <Link href="/keys?status=active">View keys</Link>,
    },
    {
      label: isAdmin ? 'Requests, last 24 h' : 'Your requests, last 24 h',
      value: usage.isError ? (
        <TileError message="Could not load usage." onRetry={() => void usage.refetch()} />
      ) : totals ? (
        formatNumber(totals.requests)
      ) : null,
      detail: <Link href="/usage">View usage</Link>,
    },
    {
      label: isAdmin ? 'Spend, last 24 h' : 'Your spend, last 24 h',
      value: usage.isError ? (
        <TileError message="Could not load usage." onRetry={() => void usage.refetch()} />
      ) : totals ? (
        formatSpend(totals.costUsd)
      ) : null,
      detail: <Link href="/usage?by=model">Spend by model</Link>,
    },
  ];
  if (isAdmin) {
    tiles.push({
      label: 'Gateways online',
      value: gateways.isError ? (
        <TileError message="Could not load gateways." onRetry={() => void gateways.refetch()} />
      ) : online === undefined || !gateways.data ? null : (
        `${formatNumber(online)} of ${formatNumber(gateways.data.length)}`
      ),
      detail: <Link href="/gateways">View gateways</Link>,
    });
  }

  return (
    <section>
      <h2>{org.name} at a glance</h2>
      <StatTiles label={`${org.name} at a glance`} tiles={tiles} />
    </section>
  );
}
