'use client';

import { useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { isApiError } from '@/lib/api/client';
import { meQueryOptions } from '@/lib/api/me';
import { useSignOut } from '../hooks/use-sign-out';
import { OrganizationList } from './organization-list';

export function AccountOverview() {
  const router = useRouter();
  const me = useQuery(meQueryOptions());
  const signOut = useSignOut();
  const unauthenticated = isApiError(me.error) && me.error.status === 401;

  useEffect(() => {
    if (unauthenticated) router.replace('/sign-in');
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
          {isApiError(me.error) ? me.error.message : 'Could not load your account.'}
        </p>
        <button className="button" type="button" onClick={() => void me.refetch()}>
          Try again
        </button>
      </main>
    );
  }

  const { user, organizations } = me.data;
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <p className="brand">
            <span className="brand-mark" aria-hidden="true" />
            Portcullis
          </p>
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
      </header>
      <main id="main" className="page">
        <h1>Welcome{user.name ? `, ${user.name}` : ''}</h1>
        {signOut.isError && !(isApiError(signOut.error) && signOut.error.status === 401) && (
          <p className="alert" role="alert">
            {isApiError(signOut.error) ? signOut.error.message : 'Could not sign out. Try again.'}
          </p>
        )}
        <section className="card" aria-labelledby="organizations-heading">
          <h2 id="organizations-heading">Organizations</h2>
          <OrganizationList organizations={organizations} />
        </section>
      </main>
    </>
  );
}
