import { api } from '@/lib/api/client';
import { webhookKeys } from '@/lib/api/webhooks';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useDeleteWebhook = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: ({ id }: { id: string; url: string }) => api.deleteWebhook({ org: orgId, id }),
    invalidate: [webhookKeys.lists(orgId)],
    success: () => 'Webhook deleted',
  });
