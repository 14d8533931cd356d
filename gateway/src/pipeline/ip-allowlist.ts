import { compileAllowlist, parseCidr, parseClientIp } from '@portcullis/shared/cidr';
import type { Stage } from '../context.js';
import { errorResponse } from '../errors.js';

/** Canonical text of an address (IPv4-mapped IPv6 unwrapped), or null when it is not one. */
function canonical(text: string): string | null {
  return parseClientIp(text)?.toString() ?? null;
}

/** One `X-Forwarded-For` hop, strictly parsed (no octal/hex/short IPv4, optional port or brackets). */
function parseHop(hop: string): string | null {
  let h = hop.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(h);
  if (bracketed) h = bracketed[1] as string;
  else if (/^[\d.]+:\d{1,5}$/.test(h)) h = h.slice(0, h.lastIndexOf(':'));
  if (h.includes('/')) return null;
  const parsed = parseCidr(h);
  return parsed.ok ? canonical(parsed.normalized) : null;
}

/**
 * Resolves the client address once per request: the socket peer, unless the peer is one of
 * `TRUSTED_PROXIES`, in which case the right-most `X-Forwarded-For` hop that is not itself a trusted
 * proxy. A hop that is not an address makes the client address unknown (`invalid`), which no
 * allowlist matches.
 */
export const clientAddress = (trustedProxies: readonly string[]): Stage => {
  const trusted = trustedProxies.length > 0 ? compileAllowlist(trustedProxies) : null;
  return async (c, next) => {
    const peerText = c.env?.incoming?.socket?.remoteAddress ?? '';
    const peer = canonical(peerText) ?? 'unknown';
    let client = peer;
    if (trusted?.(peer)) {
      const xff = c.req.header('x-forwarded-for');
      if (xff) {
        const hops = xff.split(',');
        client = 'invalid';
        for (let i = hops.length - 1; i >= 0; i--) {
          const hop = parseHop(hops[i] as string);
          if (!hop) {
            client = 'invalid';
            break;
          }
          client = hop;
          if (!trusted(hop)) break;
        }
      }
    }
    c.set('clientIp', client);
    return next();
  };
};

/** Refuses clients outside the key's allowlist (compiled once per key version, in the store entry). */
export const ipAllowlist = (): Stage => async (c, next) => {
  const allow = c.get('key').allow;
  if (allow && !allow(c.get('clientIp')))
    return errorResponse(
      c,
      'ip_not_allowed',
      'Requests from this IP address are not allowed for this API key',
    );
  return next();
};
