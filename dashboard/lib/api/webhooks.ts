import { queryOptions } from '@tanstack/react-query';
import { catalogKeys, catalogQueryOptions } from './catalog';
import { api } from './client';

const webhookCatalogKeys = catalogKeys('webhooks');

/** Webhook endpoints and their deliveries (admins only). */
export const webhookKeys = {
  ...webhookCatalogKeys,
  deliveries: (orgId: string, webhookId: string) =>
    [...webhookCatalogKeys.all, orgId, 'deliveries', webhookId] as const,
};

export const webhooksQueryOptions = (orgId: string) =>
  catalogQueryOptions(webhookCatalogKeys, orgId, api.listWebhooks);

/** The newest deliveries; polled while any is still pending, so a test send turns green on its own. */
export const DELIVERIES_SHOWN = 50;
export const webhookDeliveriesQueryOptions = (orgId: string, webhookId: string) =>
  queryOptions({
    queryKey: webhookKeys.deliveries(orgId, webhookId),
    queryFn: ({ signal }) =>
      api.listWebhookDeliveries({ org: orgId, id: webhookId, query: { limit: DELIVERIES_SHOWN }, signal }),
    refetchInterval: (query) => (query.state.data?.data.some((d) => d.status === 'pending') ? 2000 : false),
  });
