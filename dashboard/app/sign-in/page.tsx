import type { Metadata } from 'next';
import { SignInForm } from './_components/sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };

export default function SignInPage() {
  return (
    <main id="main" className="auth-page">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          <span className="brand-mark" />
          Portcullis
        </p>
        <h1>Sign in</h1>
        <p className="muted">Manage API keys, models and gateways for your organization.</p>
        <SignInForm />
      </div>
    </main>
  );
}
