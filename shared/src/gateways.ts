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

export * from './gateways-api';
