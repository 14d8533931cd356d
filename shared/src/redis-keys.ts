import { createHash } from 'node:crypto';
import { snapshotChannel } from './snapshot';

export { snapshotChannel };

/**
 * Every Redis key and channel a gateway touches, named here once so that the gateway, the control plane
 * and the per-gateway Redis ACL (`gatewayAclRules`) cannot drift apart. Each name carries the
 * organization, so an ACL pattern can confine a gateway to its own organization's keys.
 */
const P = 'portcullis';

/** The stream one organization's gateways XADD usage events to (field `e`: the signed JSON event). */
export const usageStreamOf = (orgId: string): string => `${P}:usage:${orgId}`;
/** Prefix of every usage stream (the control plane finds the streams by it). */
export const USAGE_STREAM_PREFIX = `${P}:usage:`;
/** The organization of a usage stream's name, or null. */
export function orgOfUsageStream(stream: string): string | null {
  if (!stream.startsWith(USAGE_STREAM_PREFIX)) return null;
  const org = stream.slice(USAGE_STREAM_PREFIX.length);
  return /^[0-9a-f-]{36}$/.test(org) ? org : null;
}
/** Rate-limit counters of one scope (`key:<id>`, `user:<id>`, `group:<id>`): `<prefix><metric>:<minute>`, `<prefix>conc`. */
export const rateLimitPrefix = (orgId: string, scope: string): string => `${P}:rl:${orgId}:{${scope}}:`;
/** The fleet's spend of one budget scope in one period (micro-USD). */
export const budgetKey = (orgId: string, scope: string, periodId: string): string =>
  `${P}:budget:${orgId}:{${scope}}:${periodId}`;
/** The organization's gateways alive (hash: instance → last exchange time), sizing budget grants. */
export const budgetGatewaysKey = (orgId: string): string => `${P}:budget:${orgId}:gateways`;

/**
 * The ledger's budget grant (the only Lua a gateway runs). KEYS[1] counter; ARGV floor, limit, need,
 * want, n, expireAt (0: none). Grants max(need, min(want, free / 2n)) when at least `need` is free,
 * else nothing. Returns { granted, counter after }.
 *
 * Gateways may run it by its SHA only (EVALSHA): Redis checks the keys and commands a script touches
 * against the caller's ACL, but not how long it runs, so a gateway allowed EVAL could stall the Redis
 * every organization shares (`while true do end`: BUSY for every client). The control plane loads it
 * (SCRIPT LOAD) whenever its connection becomes ready, as it makes the gateways' users again.
 */
export const BUDGET_GRANT_SCRIPT = `
local raw = tonumber(redis.call('GET', KEYS[1]) or '0')
local c = math.max(raw, tonumber(ARGV[1]))
local free = tonumber(ARGV[2]) - c
local need = tonumber(ARGV[3])
if need > free then return {0, c} end
local grant = math.max(need, math.min(tonumber(ARGV[4]), math.floor(free / (2 * tonumber(ARGV[5])))))
-- Integer text: a large Lua number prints as 1e+15, which INCRBY would then reject.
redis.call('SET', KEYS[1], string.format('%.0f', c + grant))
if tonumber(ARGV[6]) > 0 then redis.call('PEXPIREAT', KEYS[1], ARGV[6]) end
return {grant, c + grant}
`;

/** The Lua scripts gateways run by SHA, for the control plane to load. */
export const GATEWAY_SCRIPTS: readonly string[] = [BUDGET_GRANT_SCRIPT];

/** The Redis user the control plane mints for a gateway. */
export const gatewayRedisUser = (gatewayId: string): string => `portcullis-gw-${gatewayId}`;

/**
 * What a gateway may do in Redis, as the rules of `ACL SETUSER <user> reset on #<sha256> <rules…>`
 * (also the line of an ACL file): subscribe to its organization's snapshot channel only (never
 * publish), read and write its organization's rate-limit and budget keys only with the commands the
 * limiter and the ledger use (the ledger's Lua script by SHA only, never EVAL: Redis checks a
 * script's keys against the caller's patterns, not its running time), XADD and nothing else to its organization's usage stream, and what the client
 * library needs to connect (PING, INFO for the ready check, CLIENT SETNAME).
 */
export function gatewayAclRules(orgId: string): string[] {
  return [
    'resetchannels',
    `&${snapshotChannel(orgId)}`,
    'resetkeys',
    `~${P}:rl:${orgId}:*`,
    `~${P}:budget:${orgId}:*`,
    '-@all',
    '+ping',
    '+info',
    '+client|setname',
    '+subscribe',
    '+unsubscribe',
    '+get',
    '+set',
    '+incrby',
    '+pexpire',
    '+pexpireat',
    '+hset',
    '+hgetall',
    '+hdel',
    '+evalsha',
    `(%W~${usageStreamOf(orgId)} +xadd)`,
  ];
}

/** An ACL password as stored (`#<sha256 hex>`): Redis never holds the password itself. */
export const aclPasswordHash = (password: string): string =>
  `#${createHash('sha256').update(password, 'utf8').digest('hex')}`;
