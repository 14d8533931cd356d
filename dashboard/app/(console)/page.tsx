import type { Metadata } from 'next';
import { AccountOverview } from './_components/account-overview';

export const metadata: Metadata = { title: 'Overview' };

export default function HomePage() {
  return <AccountOverview />;
}
