import type { DeliveryStatus, WebhookEventType } from '@portcullis/shared/webhooks';

/** What the page needs of `@portcullis/shared/webhooks`, handed over by the server page as plain data. */
export interface WebhookProtocol {
  events: WebhookEventType[];
  signatureHeader: string;
  idHeader: string;
  toleranceSeconds: number;
}

export const DELIVERY_STATUS_LABELS: Record<DeliveryStatus, string> = {
  pending: 'Pending',
  succeeded: 'Succeeded',
  failed: 'Failed',
};
