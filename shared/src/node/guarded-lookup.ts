import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isAllowedAddress, type UpstreamAllowlist } from '../upstream-url';

/** The error a refused address raises; `code` is what HTTP clients (undici, node:http) pass through. */
export class UpstreamBlockedError extends Error {
  readonly code = 'UPSTREAM_BLOCKED';
}

/** Builds the error for a refused answer; `address` is undefined when the name resolved to nothing. */
export type RefusalError = (hostname: string, address: string | undefined) => Error;

const refusal: RefusalError = (hostname, address) =>
  new UpstreamBlockedError(
    `${hostname} resolves to ${address === undefined ? 'no address' : `${address}, which is not a public address`}`,
  );

/**
 * DNS lookup that refuses private, loopback, link-local (…) answers unless allowlisted, so a public name
 * that resolves to an internal address (or is re-pointed there after the URL was checked: DNS
 * rebinding) is never connected to. The check is on the addresses the connection will use; DNS failures
 * pass through unchanged.
 */
export function guardedLookup(allowlist: UpstreamAllowlist, refuse: RefusalError = refusal): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const refused = addresses.find((a) => !isAllowedAddress(a.address, allowlist));
      if (refused || addresses.length === 0) return callback(refuse(hostname, refused?.address), '', 0);
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}
