import ipaddr from 'ipaddr.js';

/**
 * IP allowlist entries: a single IPv4/IPv6 address or a CIDR. Parsing is strict: IPv4 must be
 * four-part decimal without leading zeros (no octal/hex/short forms), prefixes must fit the family,
 * and host bits must be zero so that `10.0.0.1/8` is refused instead of silently widened.
 */
export type CidrParseResult =
  | { ok: true; normalized: string; range: [ipaddr.IPv4 | ipaddr.IPv6, number] }
  | { ok: false; error: string };

const IPV4_STRICT = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (text.includes(':')) {
    if (!ipaddr.IPv6.isValid(text) || text.includes('%')) return null;
    return ipaddr.IPv6.parse(text);
  }
  return IPV4_STRICT.test(text) ? ipaddr.IPv4.parse(text) : null;
}

export function parseCidr(entry: string): CidrParseResult {
  const trimmed = entry.trim();
  if (trimmed.length === 0 || trimmed.length > 64)
    return { ok: false, error: 'must be an IP address or CIDR' };
  const slash = trimmed.indexOf('/');
  const addrText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const addr = parseAddress(addrText);
  if (!addr) return { ok: false, error: `"${addrText}" is not a valid IPv4 or IPv6 address` };
  const max = addr.kind() === 'ipv4' ? 32 : 128;
  let bits = max;
  if (slash !== -1) {
    const prefixText = trimmed.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText))
      return { ok: false, error: `prefix "/${prefixText}" is not a number` };
    bits = Number(prefixText);
    if (bits > max) return { ok: false, error: `prefix /${bits} is longer than ${max} bits` };
  }
  const network = ipaddr.parse(
    addr.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`).toString()
      : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`).toString(),
  );
  if (network.toString() !== addr.toString()) {
    return { ok: false, error: `host bits are set; did you mean ${network.toString()}/${bits}?` };
  }
  const normalized = bits === max ? addr.toString() : `${addr.toString()}/${bits}`;
  return { ok: true, normalized, range: [addr, bits] };
}

/** Parses a client address as seen on a socket (IPv4-mapped IPv6 is unwrapped to IPv4). */
export function parseClientIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ipaddr.isValid(text)) return null;
  const addr = ipaddr.parse(text);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (addr as ipaddr.IPv6).toIPv4Address();
  }
  return addr;
}

/**
 * Who a per-address count is charged to (sign-in throttling in the control plane, failed key checks in
 * the gateway): an IPv4 address itself (an IPv4-mapped IPv6 one unwrapped), or the /64 of an IPv6 one
 * (whoever has one address of a /64 usually has all of it, so counting each would not count the
 * client), in one spelling whatever way the address was written. Anything that is not an address is
 * returned as given.
 */
export function clientAddressBlock(clientIp: string): string {
  const addr = parseClientIp(clientIp);
  if (!addr) return clientIp;
  if (addr.kind() === 'ipv4') return addr.toString();
  const p = (addr as ipaddr.IPv6).parts;
  return `${(p[0] ?? 0).toString(16)}:${(p[1] ?? 0).toString(16)}:${(p[2] ?? 0).toString(16)}:${(p[3] ?? 0).toString(16)}::/64`;
}

/** Builds a matcher once from normalized entries; the returned function does no parsing of the list. */
export function compileAllowlist(entries: readonly string[]): (clientIp: string) => boolean {
  const ranges = entries.map((e) => {
    const r = parseCidr(e);
    if (!r.ok) throw new Error(`invalid allowlist entry ${e}: ${r.error}`);
    return r.range;
  });
  return (clientIp: string) => {
    const addr = parseClientIp(clientIp);
    if (!addr) return false;
    for (const [net, bits] of ranges) {
      if (net.kind() === addr.kind() && addr.match(net as never, bits)) return true;
    }
    return false;
  };
}

/**
 * True when every address of the normalized entry `inner` is also in the normalized entry `outer`
 * (same family, at least as long a prefix, and its network inside the outer one).
 */
export function cidrWithin(inner: string, outer: string): boolean {
  const a = parseCidr(inner);
  const b = parseCidr(outer);
  if (!a.ok || !b.ok) return false;
  const [innerNet, innerBits] = a.range;
  const [outerNet, outerBits] = b.range;
  return (
    innerNet.kind() === outerNet.kind() &&
    innerBits >= outerBits &&
    innerNet.match(outerNet as never, outerBits)
  );
}

/** One `X-Forwarded-For` hop, strictly parsed (optional port or brackets), canonical; null when not an address. */
export function parseForwardedHop(hop: string): string | null {
  let h = hop.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(h);
  if (bracketed) h = bracketed[1] as string;
  else if (/^[\d.]+:\d{1,5}$/.test(h)) h = h.slice(0, h.lastIndexOf(':'));
  if (h.includes('/')) return null;
  const parsed = parseCidr(h);
  return parsed.ok ? (parseClientIp(parsed.normalized)?.toString() ?? null) : null;
}

/**
 * The client's address as a proxy should report it: the socket peer, unless the peer is a trusted
 * proxy, in which case the right-most `X-Forwarded-For` hop that is not itself trusted (hops left of
 * it were written by the client and prove nothing). A malformed hop gives `invalid`, never a guess;
 * an empty header counts as none.
 */
export function resolveClientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  isTrusted: ((address: string) => boolean) | null,
): string {
  const peerAddr = (peer ? parseClientIp(peer)?.toString() : undefined) ?? 'unknown';
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  if (!isTrusted?.(peerAddr) || !header) return peerAddr;
  const hops = header.split(',');
  let client = peerAddr;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseForwardedHop(hops[i] as string);
    if (!hop) return 'invalid';
    client = hop;
    if (!isTrusted(hop)) break;
  }
  return client;
}
