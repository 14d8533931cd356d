'use client';

import Link from 'next/link';
import { useOrgContext } from '@/lib/org-context';
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
