'use client';

import type { ReactNode } from 'react';
import { useOrg } from '@/lib/org-context';

/** Admin pages: a member who opens one by URL sees why not, instead of a page of 403s. */
export function RequireAdmin({ children }: { children: ReactNode }) {
  const { org, isAdmin } = useOrg();
  if (isAdmin) return <>{children}</>;
  return (
    <div className="empty-state" data-testid="admins-only">
      <h1>Admins only</h1>
      <p className="muted">
        This page is for admins of {org.name}. Ask an admin of the organization if you need something here.
      </p>
    </div>
  );
}
