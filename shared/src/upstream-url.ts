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
  /** The setting the list came from, named in refusals (`UPSTREAM_ALLOWLIST` when not given). */
  setting?: string;
}

export const EMPTY_ALLOWLIST: UpstreamAllowlist = { hosts: new Set(), hostPorts: new Set(), ranges: [] };

export type UpstreamUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

const HOST_NAME = /^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/;
/** Names that only ever mean "this machine" or "this network". */
const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.localdomain', '.home.arpa'];

const stripBrackets = (h: string) => (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h);
const stripDot = (h: string) => (h.endsWith('.') ? h.slice(0, -1) : h);

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

/** `64:ff9b:1::/48`, the local-use NAT64 prefix (RFC 8215): where its IPv4 sits is the site's choice. */
const LOCAL_NAT64: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('64:ff9b:1::'), 48];

/**
 * The IPv4 address an IPv6 address stands for, where it embeds one in a fixed place: IPv4-mapped
 * `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d` (deprecated, but still parsed; `::` and `::1` aside),
 * IPv4-translated `::ffff:0:a.b.c.d` (SIIT), the well-known NAT64 prefix `64:ff9b::a.b.c.d` (also what
 * a DNS64 resolver answers for an IPv4-only name) and 6to4 `2002:aabb:ccdd::`. Each reaches, or is
 * translated to, that IPv4 address, so it is judged as that address.
 */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = ip.parts;
  const at = (i: number) => p[i] ?? 0;
  const zero = (from: number, to: number) => p.slice(from, to).every((x) => x === 0);
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  if (zero(0, 5) && at(5) === 0xffff) return v4(at(6), at(7));
  if (zero(0, 6) && (at(6) !== 0 || at(7) > 1)) return v4(at(6), at(7));
  if (zero(0, 4) && at(4) === 0xffff && at(5) === 0) return v4(at(6), at(7));
  if (at(0) === 0x64 && at(1) === 0xff9b && zero(2, 6)) return v4(at(6), at(7));
  if (at(0) === 0x2002) return v4(at(1), at(2));
  return null;
}

/** An IP literal as written (brackets and zone ids refused), before any IPv4 it embeds is taken out. */
function parseRawIp(text: string): Ip | null {
  if (!ipaddr.isValid(text) || text.includes('%')) return null;
  return ipaddr.parse(text);
}

/** An IP literal, judged as the address it stands for (an embedded IPv4 address: see `embeddedIPv4`). */
function parseIp(text: string): Ip | null {
  const addr = parseRawIp(text);
  if (addr?.kind() !== 'ipv6') return addr;
  return embeddedIPv4(addr as ipaddr.IPv6) ?? addr;
}

/** What kind of address this is, for a refusal's sentence. */
function rangeName(ip: Ip): string {
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).match(LOCAL_NAT64)) return 'local-use NAT64';
  return ip.range();
}

/**
 * Parses an allow list setting (`UPSTREAM_ALLOWLIST`, `WEBHOOK_ALLOWLIST`, `MCP_ALLOWLIST`: comma-separated
 * hosts, `host:port`s or CIDRs); throws naming a bad entry. `setting` is named in refusals.
 */
export function parseUpstreamAllowlist(text: string, setting = 'UPSTREAM_ALLOWLIST'): UpstreamAllowlist {
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
  return { hosts, hostPorts, ranges, setting };
}

const hostKey = (ip: ipaddr.IPv4 | ipaddr.IPv6) =>
  ip.kind() === 'ipv6' ? `[${ip.toString()}]` : ip.toString();

/** True for an ordinary public unicast address; false for every special range (private, loopback, …). */
export function isPublicAddress(addr: string | ipaddr.IPv4 | ipaddr.IPv6): boolean {
  const ip =
    typeof addr === 'string'
      ? parseIp(stripBrackets(addr))
      : addr.kind() === 'ipv6'
        ? (embeddedIPv4(addr as ipaddr.IPv6) ?? addr)
        : addr;
  if (!ip) return false;
  return ip.range() === 'unicast';
}

const inRange = (ip: Ip, [net, bits]: [Ip, number]) =>
  net.kind() === ip.kind() && ip.match(net as never, bits);

/**
 * Whether the allowlist's ranges hold the address: as the IPv4 address it embeds (so `127.0.0.1` allows
 * `::ffff:127.0.0.1` and `::7f00:1`), or as written (so an IPv6 range such as `64:ff9b:1::/48` works).
 */
function inRanges(ip: Ip, raw: Ip, allow: UpstreamAllowlist): boolean {
  return allow.ranges.some((r) => inRange(ip, r) || inRange(raw, r));
}

/** Whether an address the gateway resolved a host name to may be connected to. */
export function isAllowedAddress(address: string, allow: UpstreamAllowlist = EMPTY_ALLOWLIST): boolean {
  const raw = parseRawIp(stripBrackets(address));
  const ip = parseIp(stripBrackets(address));
  if (!ip || !raw) return false;
  return isPublicAddress(ip) || inRanges(ip, raw, allow);
}

/**
 * Whether the allowlist names the URL's host (or host:port) itself: such a host may resolve to whatever
 * it likes, so the connecting side skips its check of DNS answers. An IP literal is named by the address
 * it stands for (`[::ffff:127.0.0.1]` by `127.0.0.1`).
 */
export function allowedByName(url: URL, allow: UpstreamAllowlist): boolean {
  const host = stripDot(url.hostname.toLowerCase());
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const ip = parseIp(stripBrackets(host));
  const key = ip ? hostKey(ip) : host;
  return allow.hosts.has(ip ? ip.toString() : host) || allow.hostPorts.has(`${key}:${port}`);
}

/**
 * Checks a provider base URL. Refused unless the operator allowed it: any scheme but http(s), user
 * info, `localhost` and other local-only names, single-label names, and every IP literal outside
 * public unicast space (private, loopback, link-local, unique-local, CGNAT, multicast, 0.0.0.0,
 * local-use NAT64, Teredo, …) in whatever encoding; an IPv6 form of an IPv4 address (mapped,
 * compatible, NAT64, 6to4) is judged as that IPv4 address.
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
  const setting = allow.setting ?? 'UPSTREAM_ALLOWLIST';
  const raw = parseRawIp(stripBrackets(host));
  const ip = parseIp(stripBrackets(host));
  const allowed = allowedByName(url, allow);
  if (ip && raw) {
    if (allowed || isPublicAddress(ip) || inRanges(ip, raw, allow)) return { ok: true, url };
    return {
      ok: false,
      reason: `points at ${ip.toString()}, a ${rangeName(ip)} address; only public addresses are allowed (see ${setting})`,
    };
  }
  if (allowed) return { ok: true, url };
  if (host === 'localhost' || LOCAL_SUFFIXES.some((s) => host.endsWith(s))) {
    return { ok: false, reason: `points at ${host}, a local name (see ${setting})` };
  }
  if (!host.includes('.')) {
    return { ok: false, reason: `points at ${host}, a single-label name (see ${setting})` };
  }
  return { ok: true, url };
}
