import { sendTestWebhook, webhookKeys } from '@/lib/api/webhooks';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

/** Queues a signed `webhook.test` delivery; the deliveries list polls until it is no longer pending. */
export const useSendTestWebhook = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: (id: string) => sendTestWebhook(orgId, id),
    invalidate: (id) => [webhookKeys.deliveries(orgId, id)],
    success: () => 'Test delivery queued',
    failure: () => 'Could not send the test',
  });
