import type { CreateGatewayTokenInput, GatewayView } from '@portcullis/shared/gateways';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { catalogKeys, catalogQueryOptions, deleteItem, itemPath } from './catalog';
import { apiFetch } from './client';
import { objectSchema, orgApi } from './org';

/** Attached gateways (`/orgs/:org/gateways`, admins only), with their snapshot version, lag and last check-in. */
export const gatewayKeys = catalogKeys('gateways');

/** Gateways check in every few seconds; the list follows them without a reload. */
export const GATEWAYS_REFRESH_MS = 5000;

const GatewaySchema = objectSchema<GatewayView>();

export const gatewaysQueryOptions = (orgId: string) =>
  queryOptions({
    ...catalogQueryOptions(gatewayKeys, orgId, '/gateways', GatewaySchema),
    refetchInterval: GATEWAYS_REFRESH_MS,
  });

export const GatewayTokenResponseSchema = z.object({
  token: z.string(),
  gateway: z.object({ id: z.string(), name: z.string() }),
});
export type GatewayTokenResponse = z.infer<typeof GatewayTokenResponseSchema>;

/** Creates a gateway record and its token; the answer is the only time the token is shown. */
export const createGatewayToken = (
  orgId: string,
  body: CreateGatewayTokenInput,
): Promise<GatewayTokenResponse> =>
  apiFetch(orgApi(orgId, '/gateway-tokens'), { method: 'POST', body, schema: GatewayTokenResponseSchema });

/** Detaches a gateway: its token stops working at once. */
export const deleteGateway = (orgId: string, id: string): Promise<undefined> =>
  deleteItem(itemPath(orgId, '/gateways', id));
