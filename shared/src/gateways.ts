import { z } from 'zod';
import { noControlChars } from './api-keys';
import { randomBase62 } from './keys';

/**
 * Gateway tokens: `ptcg_` + 43 base62 characters (≈ 256 bits), shown once when created, stored as a
 * SHA-256 digest. A gateway presents it as `Authorization: Bearer ptcg_…` to register, heartbeat and
 * fetch its organization's snapshot.
 */
export const GATEWAY_TOKEN_PREFIX = 'ptcg_';
export const GATEWAY_TOKEN_SECRET_LENGTH = 43;
export const GATEWAY_TOKEN_PATTERN = /^ptcg_[0-9A-Za-z]{43}$/;

export const makeGatewayToken = (): string =>
  `${GATEWAY_TOKEN_PREFIX}${randomBase62(GATEWAY_TOKEN_SECRET_LENGTH)}`;

export const isGatewayToken = (s: string): boolean => GATEWAY_TOKEN_PATTERN.test(s);

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

export interface GatewayView {
  id: string;
  name: string;
  /** The snapshot version the gateway last reported; null until it has. */
  snapshotVersion: number | null;
  /** The organization's version minus the gateway's; null if never seen. */
  lag: number | null;
  lastSeenAt: string | null;
  status: 'online' | 'stale' | 'never_seen';
  instanceId: string | null;
  version: string | null;
  createdAt: string;
}
