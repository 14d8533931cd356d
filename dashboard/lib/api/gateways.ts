import { queryOptions } from '@tanstack/react-query';
import { catalogKeys, catalogQueryOptions } from './catalog';
import { api } from './client';

/** Attached gateways (admins only), with their snapshot version, lag and last check-in. */
export const gatewayKeys = catalogKeys('gateways');

/** Gateways check in every few seconds; the list follows them without a reload. */
export const GATEWAYS_REFRESH_MS = 5000;

export const gatewaysQueryOptions = (orgId: string) =>
  queryOptions({
    ...catalogQueryOptions(gatewayKeys, orgId, api.listGateways),
    refetchInterval: GATEWAYS_REFRESH_MS,
  });
