import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { deleteWebhook, webhookKeys } from '@/lib/api/webhooks';

export const useDeleteWebhook = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: ({ id }: { id: string; url: string }) => deleteWebhook(orgId, id),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: webhookKeys.lists(orgId) });
      toast.success('Webhook deleted');
    },
  });
};
