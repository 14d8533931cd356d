import { compileAllowlist, resolveClientAddress } from '@portcullis/shared/cidr';
import { after, type Stage } from '../context.js';
import { errorResponse } from '../errors.js';

/**
 * Resolves the client address once per request: the socket peer, unless the peer is one of
 * `TRUSTED_PROXIES`, in which case the right-most `X-Forwarded-For` hop that is not itself a trusted
 * proxy (`resolveClientAddress`, shared with the dashboard). A hop that is not an address makes the
 * client address unknown (`invalid`), which no allowlist matches.
 */
export const clientAddress = (trustedProxies: readonly string[]): Stage => {
  const trusted = trustedProxies.length > 0 ? compileAllowlist(trustedProxies) : null;
  return async (c, next) => {
    c.set(
      'clientIp',
      resolveClientAddress(c.env?.incoming?.socket?.remoteAddress, c.req.header('x-forwarded-for'), trusted),
    );
    return next();
  };
};

/** Refuses clients outside the key's allowlist (compiled once per key version, in the store entry). */
export const ipAllowlist = (): Stage => async (c, next) => {
  const allow = after(c, 'key').allow;
  if (allow && !allow(after(c, 'clientIp')))
    return errorResponse(
      c,
      'ip_not_allowed',
      'Requests from this IP address are not allowed for this API key',
    );
  return next();
};
