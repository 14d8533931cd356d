import type { Metadata } from 'next';
import { safeNextPath } from '@/lib/safe-next';
import { SignInForm } from './_components/sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { next } = await searchParams;
  // Decided on the server, so the page never holds a destination off this site.
  const destination = safeNextPath(typeof next === 'string' ? next : null);
  return (
    <main id="main" className="auth-page">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          <span className="brand-mark" />
          Portcullis
        </p>
        <h1>Sign in</h1>
        <p className="muted">Manage API keys, models and gateways for your organization.</p>
        <SignInForm next={destination} />
      </div>
    </main>
  );
}
