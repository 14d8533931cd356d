import ipaddr from 'ipaddr.js';
import { parseCidr } from './cidr';

/**
 * The SSRF guard for provider base URLs, shared so the control plane checks a URL when it is stored
 * and the gateway re-checks it before it connects. Pure: no DNS. A public host name that resolves to
 * a private address is the connecting side's job (check the resolved address with `isPublicAddress`).
 *
 * The URL is parsed with the WHATWG parser, the same one `fetch` and undici use, so every encoded
 * IPv4 form (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`) is judged as the address it really is.
 */

export interface UpstreamAllowlist {
  /** Lower-case host names (or IP literals, also kept as CIDRs) allowed on any port. */
  hosts: ReadonlySet<string>;
  /** `host:port` pairs (IPv6 as `[addr]:port`). */
  hostPorts: ReadonlySet<string>;
  ranges: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

export const EMPTY_ALLOWLIST: UpstreamAllowlist = { hosts: new Set(), hostPorts: new Set(), ranges: [] };

export type UpstreamUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

const HOST_NAME = /^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/;
/** Names that only ever mean "this machine" or "this network". */
const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.localdomain', '.home.arpa'];

const stripBrackets = (h: string) => (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h);
const stripDot = (h: string) => (h.endsWith('.') ? h.slice(0, -1) : h);

function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ipaddr.isValid(text) || text.includes('%')) return null;
  const addr = ipaddr.parse(text);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (addr as ipaddr.IPv6).toIPv4Address();
  }
  return addr;
}

/** Parses `UPSTREAM_ALLOWLIST` (comma-separated hosts, `host:port`s or CIDRs); throws naming a bad entry. */
export function parseUpstreamAllowlist(text: string): UpstreamAllowlist {
  const hosts = new Set<string>();
  const hostPorts = new Set<string>();
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry.includes('/')) {
      const r = parseCidr(entry);
      if (!r.ok) throw new Error(`"${entry}" is not a valid CIDR (${r.error})`);
      ranges.push(r.range);
      continue;
    }
    const ip = parseIp(stripBrackets(entry));
    if (ip) {
      ranges.push([ip, ip.kind() === 'ipv4' ? 32 : 128]);
      hosts.add(ip.toString());
      continue;
    }
    const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(entry);
    if (m) {
      const port = Number(m[2]);
      const host = stripDot(stripBrackets(m[1] ?? ''));
      const hostIp = parseIp(host);
      if (port < 1 || port > 65535) throw new Error(`"${entry}" has an invalid port`);
      if (!hostIp && !HOST_NAME.test(host)) throw new Error(`"${entry}" is not a valid host:port`);
      hostPorts.add(`${hostIp ? hostKey(hostIp) : host}:${port}`);
      continue;
    }
    const host = stripDot(entry);
    if (!HOST_NAME.test(host)) throw new Error(`"${entry}" is not a host name, host:port or CIDR`);
    hosts.add(host);
  }
  return { hosts, hostPorts, ranges };
}

const hostKey = (ip: ipaddr.IPv4 | ipaddr.IPv6) =>
  ip.kind() === 'ipv6' ? `[${ip.toString()}]` : ip.toString();

/** True for an ordinary public unicast address; false for every special range (private, loopback, …). */
export function isPublicAddress(addr: string | ipaddr.IPv4 | ipaddr.IPv6): boolean {
  const ip = typeof addr === 'string' ? parseIp(stripBrackets(addr)) : addr;
  if (!ip) return false;
  return ip.range() === 'unicast';
}

function inRanges(ip: ipaddr.IPv4 | ipaddr.IPv6, allow: UpstreamAllowlist): boolean {
  return allow.ranges.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net as never, bits));
}

/** Whether an address the gateway resolved a host name to may be connected to. */
export function isAllowedAddress(address: string, allow: UpstreamAllowlist = EMPTY_ALLOWLIST): boolean {
  const ip = parseIp(stripBrackets(address));
  if (!ip) return false;
  return isPublicAddress(ip) || inRanges(ip, allow);
}

/**
 * Checks a provider base URL. Refused unless the operator allowed it: any scheme but http(s), user
 * info, `localhost` and other local-only names, single-label names, and every IP literal outside
 * public unicast space (private, loopback, link-local, unique-local, CGNAT, multicast, 0.0.0.0,
 * IPv4-mapped IPv6, NAT64, …) in whatever encoding.
 */
export function checkUpstreamUrl(text: string, allow: UpstreamAllowlist = EMPTY_ALLOWLIST): UpstreamUrlCheck {
  if (text.length > 2048) return { ok: false, reason: 'must be at most 2048 characters' };
  if (/[\s\\]/.test(text)) return { ok: false, reason: 'must not contain spaces or backslashes' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'must be an absolute http(s) URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, reason: 'must use https or http' };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'must not carry a user name or password' };
  }
  if (url.search !== '' || url.hash !== '') {
    return { ok: false, reason: 'must not have a query string or fragment' };
  }
  const host = stripDot(url.hostname.toLowerCase());
  if (host === '') return { ok: false, reason: 'must name a host' };
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const ip = parseIp(stripBrackets(host));
  const key = ip ? hostKey(ip) : host;
  const allowed = allow.hosts.has(ip ? ip.toString() : host) || allow.hostPorts.has(`${key}:${port}`);
  if (ip) {
    if (allowed || isPublicAddress(ip) || inRanges(ip, allow)) return { ok: true, url };
    return {
      ok: false,
      reason: `points at ${ip.toString()}, a ${ip.range()} address; only public addresses are allowed (see UPSTREAM_ALLOWLIST)`,
    };
  }
  if (allowed) return { ok: true, url };
  if (host === 'localhost' || LOCAL_SUFFIXES.some((s) => host.endsWith(s))) {
    return { ok: false, reason: `points at ${host}, a local name (see UPSTREAM_ALLOWLIST)` };
  }
  if (!host.includes('.')) {
    return { ok: false, reason: `points at ${host}, a single-label name (see UPSTREAM_ALLOWLIST)` };
  }
  return { ok: true, url };
}
