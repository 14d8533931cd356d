import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { EMPTY_ALLOWLIST, parseUpstreamAllowlist } from '../upstream-url';
import { guardedLookup, UpstreamBlockedError } from './guarded-lookup';

type Answer = { err: Error | null; address: string | LookupAddress[]; family?: number };

const lookup = (lookupFn: ReturnType<typeof guardedLookup>, host: string, all = false) =>
  new Promise<Answer>((done) =>
    lookupFn(host, { all }, (err, address, family) => done({ err, address, family })),
  );

describe('guardedLookup', () => {
  it('refuses loopback, private and link-local answers with UPSTREAM_BLOCKED naming the address', async () => {
    const guarded = guardedLookup(EMPTY_ALLOWLIST);
    for (const host of ['127.0.0.1', '10.1.2.3', '169.254.169.254', '::1', '::ffff:10.0.0.1']) {
      const { err } = await lookup(guarded, host);
      expect(err).toBeInstanceOf(UpstreamBlockedError);
      expect((err as UpstreamBlockedError).code).toBe('UPSTREAM_BLOCKED');
      expect(err?.message).toMatch(/resolves to .*, which is not a public address$/);
    }
    const { err } = await lookup(guarded, 'localhost');
    expect(err?.message).toMatch(/^localhost resolves to .* not a public address$/);
  });

  it('passes public answers through, as one address or all of them', async () => {
    const guarded = guardedLookup(EMPTY_ALLOWLIST);
    expect(await lookup(guarded, '93.184.216.34')).toEqual({
      err: null,
      address: '93.184.216.34',
      family: 4,
    });
    const all = await lookup(guarded, '2606:4700::1111', true);
    expect(all.err).toBeNull();
    expect(all.address).toEqual([{ address: '2606:4700::1111', family: 6 }]);
  });

  it('allows internal answers whose address range is allowlisted, and only those', async () => {
    const guarded = guardedLookup(parseUpstreamAllowlist('127.0.0.0/8,::1/128'));
    const local = await lookup(guarded, 'localhost');
    expect(local.err).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(local.address);
    expect((await lookup(guarded, '10.0.0.1')).err).toBeInstanceOf(UpstreamBlockedError);
  });

  it('builds the refusal with the caller’s error when given one', async () => {
    class Refused extends Error {}
    const guarded = guardedLookup(EMPTY_ALLOWLIST, (host) => new Refused(`${host} is not public`));
    const { err } = await lookup(guarded, '192.168.1.1');
    expect(err).toBeInstanceOf(Refused);
    expect(err?.message).toBe('192.168.1.1 is not public');
  });
});
