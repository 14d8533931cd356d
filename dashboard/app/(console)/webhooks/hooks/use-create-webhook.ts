import type { CreateWebhookInput } from '@portcullis/shared/webhooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { createWebhook, webhookKeys } from '@/lib/api/webhooks';

/** Validated by the control plane (the shared schema's module holds Node-only code the browser cannot load). */
export const useCreateWebhook = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (body: CreateWebhookInput) => createWebhook(orgId, body),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: webhookKeys.lists(orgId) });
      toast.success('Webhook added: copy its signing secret now');
    },
  });
};
