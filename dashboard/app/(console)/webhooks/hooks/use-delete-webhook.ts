import { deleteWebhook, webhookKeys } from '@/lib/api/webhooks';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useDeleteWebhook = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: ({ id }: { id: string; url: string }) => deleteWebhook(orgId, id),
    invalidate: [webhookKeys.lists(orgId)],
    success: () => 'Webhook deleted',
  });
