import type { CreateWebhookInput } from '@portcullis/shared/webhooks';
import { api } from '@/lib/api/client';
import { webhookKeys } from '@/lib/api/webhooks';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

/** Validated by the control plane (the shared schema's module holds Node-only code the browser cannot load). */
export const useCreateWebhook = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: (body: CreateWebhookInput) => api.createWebhook({ org: orgId, body }),
    invalidate: [webhookKeys.lists(orgId)],
    success: () => 'Webhook added: copy its signing secret now',
  });
