'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { type ReactNode, useEffect, useId } from 'react';
import { isApiError } from '@/lib/api/client';
import { errorMessage } from '@/lib/api/errors';
import { meQueryOptions } from '@/lib/api/me';
import { OrgProvider, useOrgContext } from '@/lib/org-context';
import { useSignOut } from '../hooks/use-sign-out';
import { NAV_ITEMS } from './nav-items';

/** Signed-in frame of every console page: top bar, organization switcher, navigation. */
export function ConsoleShell({ children }: { children: ReactNode }) {
  const router = useRouter();
  const me = useQuery(meQueryOptions());
  const unauthenticated = isApiError(me.error) && me.error.status === 401;

  useEffect(() => {
    if (unauthenticated) {
      const here = `${window.location.pathname}${window.location.search}`;
      router.replace(here === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(here)}`);
    }
  }, [unauthenticated, router]);

  if (me.isPending || unauthenticated) {
    return (
      <main id="main" className="page" aria-busy="true">
        <p className="muted">Loading…</p>
      </main>
    );
  }
  if (me.isError) {
    return (
      <main id="main" className="page">
        <p className="alert" role="alert">
          {errorMessage(me.error, 'Could not load your account.')}
        </p>
        <div>
          <button className="button" type="button" onClick={() => void me.refetch()}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  return (
    <OrgProvider user={me.data.user} organizations={me.data.organizations}>
      <Frame>{children}</Frame>
    </OrgProvider>
  );
}

function Frame({ children }: { children: ReactNode }) {
  const { user, org, isAdmin } = useOrgContext();
  const signOut = useSignOut();
  const pathname = usePathname();
  const items = NAV_ITEMS.filter((item) => isAdmin || !item.adminOnly);

  return (
    <div className="console">
      <header className="topbar">
        <div className="topbar-inner topbar-wide">
          <Link className="brand" href="/">
            <span className="brand-mark" aria-hidden="true" />
            Portcullis
          </Link>
          <OrgSwitcher />
          <div className="topbar-actions">
            <p className="muted signed-in-as">Signed in as {user.email}</p>
            <button
              className="button"
              type="button"
              onClick={() => signOut.mutate()}
              disabled={signOut.isPending || signOut.isSuccess}
            >
              Sign out
            </button>
          </div>
        </div>
        {signOut.isError && !(isApiError(signOut.error) && signOut.error.status === 401) && (
          <p className="alert topbar-alert" role="alert">
            {errorMessage(signOut.error, 'Could not sign out. Try again.')}
          </p>
        )}
      </header>
      <div className="console-body">
        {org && (
          <nav className="sidenav" aria-label="Console">
            <ul>
              {items.map((item) => {
                const current = pathname === item.href || pathname.startsWith(`${item.href}/`);
                return (
                  <li key={item.href}>
                    <Link href={item.href} aria-current={current ? 'page' : undefined}>
                      {item.label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
        )}
        <main id="main" className="console-main">
          {org || pathname === '/' ? (
            children
          ) : (
            <div className="empty-state">
              <h1>No organization yet</h1>
              <p className="muted">Ask an admin to invite you, or open the invitation link you were sent.</p>
            </div>
          )}
        </main>
      </div>
    </div>
  );
}

function OrgSwitcher() {
  const { organizations, org, switchOrg } = useOrgContext();
  const id = useId();
  if (!org) return null;
  return (
    <div className="org-switcher">
      <label htmlFor={id}>Organization</label>
      <select id={id} value={org.id} onChange={(event) => switchOrg(event.target.value)}>
        {organizations.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name} ({o.role})
          </option>
        ))}
      </select>
    </div>
  );
}
