import type { Metadata } from 'next';
import { AcceptInvitation } from '../_components/accept-invitation-form';

export const metadata: Metadata = { title: 'Accept invitation' };

export default async function AcceptInvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return (
    <main id="main" className="auth-page">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          <span className="brand-mark" />
          Portcullis
        </p>
        <h1>Join your organization</h1>
        <AcceptInvitation token={token} />
      </div>
    </main>
  );
}
