import { api } from '@/lib/api/client';
import { webhookKeys } from '@/lib/api/webhooks';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

/** Queues a signed `webhook.test` delivery; the deliveries list polls until it is no longer pending. */
export const useSendTestWebhook = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: (id: string) => api.testWebhook({ org: orgId, id }),
    invalidate: (id) => [webhookKeys.deliveries(orgId, id)],
    success: () => 'Test delivery queued',
    failure: () => 'Could not send the test',
  });
