import type { Metadata } from 'next';
import { controlPlaneUrl } from '@/lib/server/control-plane-url';
import { GatewaysPage } from './_components/gateways-page';

export const metadata: Metadata = { title: 'Gateways' };

// The set-up instructions name the control plane this dashboard runs against: read at request time.
export const dynamic = 'force-dynamic';

export default function Page() {
  const url = controlPlaneUrl();
  return <GatewaysPage controlPlaneUrl={url ? url.origin : null} />;
}
