import type { CreateWebhookInput, WebhookDeliveryView, WebhookView } from '@portcullis/shared/webhooks';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { apiFetch } from './client';
import { listAll } from './list-all';
import { listSchema, objectSchema, orgApi, queryString } from './org';

/** Webhook endpoints and their deliveries (`/orgs/:org/webhooks`, admins only). */
export const webhookKeys = {
  all: ['webhooks'] as const,
  lists: (orgId: string) => [...webhookKeys.all, orgId, 'list'] as const,
  list: (orgId: string) => [...webhookKeys.lists(orgId)] as const,
  deliveries: (orgId: string, webhookId: string) =>
    [...webhookKeys.all, orgId, 'deliveries', webhookId] as const,
};

const WebhookSchema = objectSchema<WebhookView>();
const DeliverySchema = objectSchema<WebhookDeliveryView>();

export const webhooksQueryOptions = (orgId: string) =>
  queryOptions({
    queryKey: webhookKeys.list(orgId),
    queryFn: ({ signal }) => listAll(orgApi(orgId, '/webhooks'), WebhookSchema, signal),
  });

/** The newest deliveries; polled while any is still pending, so a test send turns green on its own. */
export const DELIVERIES_SHOWN = 50;
export const webhookDeliveriesQueryOptions = (orgId: string, webhookId: string) =>
  queryOptions({
    queryKey: webhookKeys.deliveries(orgId, webhookId),
    queryFn: ({ signal }) =>
      apiFetch(
        orgApi(
          orgId,
          `/webhooks/${encodeURIComponent(webhookId)}/deliveries${queryString({ limit: DELIVERIES_SHOWN })}`,
        ),
        { schema: listSchema(DeliverySchema), signal },
      ),
    refetchInterval: (query) => (query.state.data?.data.some((d) => d.status === 'pending') ? 2000 : false),
  });

export const CreateWebhookResponseSchema = z.object({ webhook: WebhookSchema, secret: z.string() });
export type CreateWebhookResponse = z.infer<typeof CreateWebhookResponseSchema>;

/** The answer carries the signing secret: the only time it is ever shown. */
export const createWebhook = (orgId: string, body: CreateWebhookInput): Promise<CreateWebhookResponse> =>
  apiFetch(orgApi(orgId, '/webhooks'), { method: 'POST', body, schema: CreateWebhookResponseSchema });

export const deleteWebhook = (orgId: string, id: string): Promise<undefined> =>
  apiFetch(orgApi(orgId, `/webhooks/${encodeURIComponent(id)}`), { method: 'DELETE', schema: z.undefined() });

/** Queues a signed `webhook.test` delivery. */
export const sendTestWebhook = (orgId: string, id: string): Promise<{ delivery: WebhookDeliveryView }> =>
  apiFetch(orgApi(orgId, `/webhooks/${encodeURIComponent(id)}/test`), {
    method: 'POST',
    schema: z.object({ delivery: DeliverySchema }),
  });
