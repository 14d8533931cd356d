import { describe, expect, it } from 'vitest';
import { clientAddressBlock, compileAllowlist, parseCidr, resolveClientAddress } from './cidr';

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['192.168.1.7', '192.168.1.7'],
    ['192.168.1.7/32', '192.168.1.7'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['2001:DB8:0:0::1', '2001:db8::1'],
    ['::/0', '::/0'],
  ])('accepts %s as %s', (input, normalized) => {
    const r = parseCidr(input);
    expect(r.ok && r.normalized).toBe(normalized);
  });

  it.each([
    ['10.0.0.0/33', /longer than 32/],
    ['2001:db8::/129', /longer than 128/],
    ['10.0.0.1/8', /host bits/],
    ['2001:db8::1/32', /host bits/],
    ['10.0.0.0/-1', /not a number/],
    ['10.0.0.0/08', /not a number/],
    ['10.0.0.0/', /not a number/],
    ['256.0.0.1', /not a valid/],
    ['010.0.0.1', /not a valid/],
    ['0x7f.0.0.1', /not a valid/],
    ['127.1', /not a valid/],
    ['fe80::1%eth0', /not a valid/],
    ['hello', /not a valid/],
    ['', /must be/],
  ])('refuses %s', (input, message) => {
    const r = parseCidr(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });
});

describe('compileAllowlist', () => {
  const allowed = compileAllowlist(['10.0.0.0/8', '203.0.113.5', '2001:db8::/32']);
  it('matches inside and refuses outside', () => {
    expect(allowed('10.20.30.40')).toBe(true);
    expect(allowed('203.0.113.5')).toBe(true);
    expect(allowed('203.0.113.6')).toBe(false);
    expect(allowed('2001:db8:1::9')).toBe(true);
    expect(allowed('2001:db9::1')).toBe(false);
  });
  it('unwraps IPv4-mapped IPv6 socket addresses', () => {
    expect(allowed('::ffff:10.1.2.3')).toBe(true);
    expect(allowed('::ffff:11.1.2.3')).toBe(false);
  });
  it('refuses garbage client addresses', () => {
    expect(allowed('not-an-ip')).toBe(false);
  });
});

describe('resolveClientAddress', () => {
  const trusted = compileAllowlist(['10.0.0.0/8', '127.0.0.1']);
  it('is the socket peer when the peer is not a trusted proxy, whatever the client claims', () => {
    expect(resolveClientAddress('203.0.113.9', '1.2.3.4', trusted)).toBe('203.0.113.9');
    expect(resolveClientAddress('::ffff:203.0.113.9', undefined, trusted)).toBe('203.0.113.9');
    expect(resolveClientAddress('127.0.0.1', '1.2.3.4', null)).toBe('127.0.0.1');
    expect(resolveClientAddress('127.0.0.1', '', trusted)).toBe('127.0.0.1');
    expect(resolveClientAddress(undefined, '1.2.3.4', trusted)).toBe('unknown');
  });
  it('behind trusted proxies, the right-most hop that is not one of them', () => {
    expect(resolveClientAddress('127.0.0.1', '6.6.6.6, 198.51.100.7, 10.1.2.3', trusted)).toBe(
      '198.51.100.7',
    );
    expect(resolveClientAddress('10.0.0.5', ['198.51.100.7:4431'], trusted)).toBe('198.51.100.7');
    expect(resolveClientAddress('127.0.0.1', '10.0.0.1, 10.0.0.2', trusted)).toBe('10.0.0.1');
  });
  it('a malformed hop makes the address invalid, never a guess', () => {
    expect(resolveClientAddress('127.0.0.1', '198.51.100.7, not-an-ip', trusted)).toBe('invalid');
    expect(resolveClientAddress('127.0.0.1', '010.1.1.1', trusted)).toBe('invalid');
  });
});

describe('clientAddressBlock', () => {
  it('counts an IPv6 client by its /64, in one spelling', () => {
    expect(clientAddressBlock('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressBlock('2001:0db8:0001:0002:ffff:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(clientAddressBlock('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(clientAddressBlock('2001:db8::1')).toBe(clientAddressBlock('2001:db8:0:0:ffff::2'));
  });

  it('an IPv4 address is itself, also when written IPv4-mapped', () => {
    expect(clientAddressBlock('198.51.100.7')).toBe('198.51.100.7');
    expect(clientAddressBlock('::ffff:198.51.100.7')).toBe('198.51.100.7');
  });

  it('what is not an address stays as given', () => {
    expect(clientAddressBlock('')).toBe('');
    expect(clientAddressBlock('unknown')).toBe('unknown');
  });
});
