import {
  DEFAULT_TOLERANCE_SECONDS,
  WEBHOOK_EVENTS,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
} from '@portcullis/shared/webhooks';
import type { Metadata } from 'next';
import { WebhooksPage } from './_components/webhooks-page';

export const metadata: Metadata = { title: 'Webhooks' };

export default function Page() {
  // Read here, on the server: `@portcullis/shared/webhooks` also holds the Node signing code, which the
  // browser bundle cannot load. The constants reach the client component as plain data.
  return (
    <WebhooksPage
      protocol={{
        events: [...WEBHOOK_EVENTS],
        signatureHeader: WEBHOOK_SIGNATURE_HEADER,
        idHeader: WEBHOOK_ID_HEADER,
        toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
      }}
    />
  );
}
