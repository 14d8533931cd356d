import { z } from 'zod';

/**
 * The gateway's own credentials, in the registration answer (`POST /api/v1/gateway/register`) next to
 * the fields of `GatewayRegistrationSchema`. The only place they are ever shown: the control plane
 * keeps them sealed under its master key, the gateway in memory and, wrapped under a key derived from
 * its gateway token, in its state dir.
 * - `usageSigningSecret`: 32 random bytes (base64url), the HMAC key of its usage events
 *   (`@portcullis/shared/usage-signing`); the same for every registration of the gateway.
 * - `redis`: the Redis user minted for this gateway (`@portcullis/shared/redis-keys`), or null when the
 *   control plane has no right to mint users (the gateway then uses the user of its REDIS_URL).
 */
export const GatewayCredentialsSchema = z.object({
  usageSigningSecret: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  redis: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(200) }).nullable(),
});
export type GatewayCredentials = z.infer<typeof GatewayCredentialsSchema>;
