import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { errorMessage } from '@/lib/api/errors';
import { sendTestWebhook, webhookKeys } from '@/lib/api/webhooks';

/** Queues a signed `webhook.test` delivery; the deliveries list polls until it is no longer pending. */
export const useSendTestWebhook = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (id: string) => sendTestWebhook(orgId, id),
    onSuccess: async (_, id) => {
      await queryClient.invalidateQueries({ queryKey: webhookKeys.deliveries(orgId, id) });
      toast.success('Test delivery queued');
    },
    onError: (error) => {
      toast.error(`Could not send the test: ${errorMessage(error)}`);
    },
  });
};
