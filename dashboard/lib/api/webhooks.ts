import type { CreateWebhookInput, WebhookDeliveryView, WebhookView } from '@portcullis/shared/webhooks';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { catalogKeys, catalogQueryOptions, deleteItem, itemPath } from './catalog';
import { apiFetch } from './client';
import { listSchema, objectSchema, orgApi, queryString } from './org';

const webhookCatalogKeys = catalogKeys('webhooks');

/** Webhook endpoints and their deliveries (`/orgs/:org/webhooks`, admins only). */
export const webhookKeys = {
  ...webhookCatalogKeys,
  deliveries: (orgId: string, webhookId: string) =>
    [...webhookCatalogKeys.all, orgId, 'deliveries', webhookId] as const,
};

const WebhookSchema = objectSchema<WebhookView>();
const DeliverySchema = objectSchema<WebhookDeliveryView>();

export const webhooksQueryOptions = (orgId: string) =>
  catalogQueryOptions(webhookCatalogKeys, orgId, '/webhooks', WebhookSchema);

/** The newest deliveries; polled while any is still pending, so a test send turns green on its own. */
export const DELIVERIES_SHOWN = 50;
export const webhookDeliveriesQueryOptions = (orgId: string, webhookId: string) =>
  queryOptions({
    queryKey: webhookKeys.deliveries(orgId, webhookId),
    queryFn: ({ signal }) =>
      apiFetch(
        itemPath(orgId, '/webhooks', webhookId, `/deliveries${queryString({ limit: DELIVERIES_SHOWN })}`),
        {
          schema: listSchema(DeliverySchema),
          signal,
        },
      ),
    refetchInterval: (query) => (query.state.data?.data.some((d) => d.status === 'pending') ? 2000 : false),
  });

export const CreateWebhookResponseSchema = z.object({ webhook: WebhookSchema, secret: z.string() });
export type CreateWebhookResponse = z.infer<typeof CreateWebhookResponseSchema>;

/** The answer carries the signing secret: the only time it is ever shown. */
export const createWebhook = (orgId: string, body: CreateWebhookInput): Promise<CreateWebhookResponse> =>
  apiFetch(orgApi(orgId, '/webhooks'), { method: 'POST', body, schema: CreateWebhookResponseSchema });

export const deleteWebhook = (orgId: string, id: string): Promise<undefined> =>
  deleteItem(itemPath(orgId, '/webhooks', id));

/** Queues a signed `webhook.test` delivery. */
export const sendTestWebhook = (orgId: string, id: string): Promise<{ delivery: WebhookDeliveryView }> =>
  apiFetch(itemPath(orgId, '/webhooks', id, '/test'), {
    method: 'POST',
    schema: z.object({ delivery: DeliverySchema }),
  });
