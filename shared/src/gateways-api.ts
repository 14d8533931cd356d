import { z } from 'zod';
import { Timestamp } from './api/fields';
import { noControlChars } from './api-keys';

/** Gateways on the REST side: the token request and the views. No `node:` imports (the dashboard bundles it). */

export const GatewayNameSchema = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine(noControlChars, 'must not contain control characters');

export const CreateGatewayTokenSchema = z.strictObject({ name: GatewayNameSchema });
export type CreateGatewayTokenInput = z.infer<typeof CreateGatewayTokenSchema>;

/** A gateway is `online` when it checked in within this many seconds, `stale` after. */
export const GATEWAY_STALE_AFTER_SECONDS = 30;

export const GatewayViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The snapshot version the gateway last reported; null until it has. */
  snapshotVersion: z.number().nullable(),
  /** The organization's version minus the gateway's; null if never seen. */
  lag: z.number().nullable(),
  lastSeenAt: Timestamp.nullable(),
  status: z.enum(['online', 'stale', 'never_seen']),
  instanceId: z.string().nullable(),
  version: z.string().nullable(),
  createdAt: Timestamp,
});
export type GatewayView = z.infer<typeof GatewayViewSchema>;

/** `POST /orgs/:org/gateway-tokens`: the token, shown this once, and the gateway it belongs to. */
export const GatewayTokenCreatedSchema = z.object({
  token: z.string(),
  gateway: z.object({ id: z.string(), name: z.string() }),
});
export type GatewayTokenCreated = z.infer<typeof GatewayTokenCreatedSchema>;
