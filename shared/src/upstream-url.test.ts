import { describe, expect, it } from 'vitest';
import { checkUpstreamUrl, isAllowedAddress, parseUpstreamAllowlist } from './upstream-url';

const refused = [
  'http://127.0.0.1/v1',
  'http://127.0.0.2:8080/',
  'http://2130706433/',
  'http://0177.0.0.1/',
  'http://0x7f.1/',
  'http://0x7f000001/',
  'http://127.1/',
  'http://[::1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:10.0.0.1]/',
  'http://[0:0:0:0:0:ffff:7f00:1]/',
  'http://[64:ff9b::7f00:1]/',
  // Every IPv6 form of a private IPv4 address is that address.
  'http://[::127.0.0.1]/',
  'http://[::7f00:1]/',
  'http://[::10.0.0.1]/',
  'http://[::a9fe:a9fe]/',
  'http://[::ffff:7f00:1]/',
  'http://[::ffff:0:7f00:1]/',
  'http://[64:ff9b::10.0.0.1]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[64:ff9b:1::a00:1]/',
  'http://[64:ff9b:1:a00:1::]/',
  'http://[2002:7f00:1::1]/',
  'http://[2002:a9fe:a9fe::]/',
  'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
  'http://0x7f.0.0.1/',
  'http://017700000001/',
  'http://127.0.1/',
  'http://0xa9.0xfe.0xa9.0xfe/',
  'http://0.0.0.0/',
  'http://0/',
  'http://10.1.2.3/',
  'http://172.16.0.1/',
  'http://192.168.1.1/',
  'http://169.254.169.254/latest/meta-data',
  'http://100.64.0.1/',
  'http://224.0.0.1/',
  'http://255.255.255.255/',
  'http://[fe80::1]/',
  'http://[fc00::1]/',
  'http://[fd12:3456::1]/',
  'http://[ff02::1]/',
  'http://[::]/',
  'http://localhost/',
  'http://LOCALHOST./',
  'http://api.localhost/',
  'http://metadata.google.internal/',
  'http://printer.local/',
  'http://intranet/',
  'ftp://api.example.com/',
  'file:///etc/passwd',
  'gopher://api.example.com/',
  'javascript:alert(1)',
  'https://user:pass@api.example.com/',
  'https://api.example.com/?x=1',
  'not a url',
  'https://api.example.com\\@127.0.0.1/',
];

describe('checkUpstreamUrl', () => {
  it.each(refused)('refuses %s', (url) => {
    const r = checkUpstreamUrl(url);
    expect(r.ok).toBe(false);
  });

  it.each([
    'https://api.openai.com/v1',
    'https://my-resource.openai.azure.com/',
    'http://8.8.8.8:8080/v1',
    'https://[2606:4700:4700::1111]/',
    'https://generativelanguage.googleapis.com/v1beta/openai',
  ])('accepts public %s', (url) => {
    expect(checkUpstreamUrl(url).ok).toBe(true);
  });

  it('names what the address is', () => {
    const r = checkUpstreamUrl('http://2130706433/');
    expect(r.ok || r.reason).toMatch(/127\.0\.0\.1, a loopback address/);
  });

  it.each([
    ['http://[::7f00:1]/', /127\.0\.0\.1, a loopback address/],
    ['http://[::ffff:0:a00:1]/', /10\.0\.0\.1, a private address/],
    ['http://[64:ff9b::a00:1]/', /10\.0\.0\.1, a private address/],
    ['http://[2002:a9fe:a9fe::1]/', /169\.254\.169\.254, a linkLocal address/],
    ['http://[64:ff9b:1::a00:1]/', /local-use NAT64/],
  ])('judges %s as the IPv4 address it embeds', (url, reason) => {
    const r = checkUpstreamUrl(url);
    expect(r.ok || r.reason).toMatch(reason);
  });

  it.each(['http://[::808:808]/', 'http://[64:ff9b::8.8.8.8]/', 'http://[2002:808:808::1]/'])(
    'accepts %s, an IPv6 form of a public IPv4 address',
    (url) => {
      expect(checkUpstreamUrl(url).ok).toBe(true);
    },
  );

  it('accepts what the allowlist names: hosts, host:port and CIDRs', () => {
    const allow = parseUpstreamAllowlist(
      '127.0.0.1, localhost, upstream.internal:8443, 10.0.0.0/8, [::1]:9000',
    );
    expect(checkUpstreamUrl('http://127.0.0.1:3000/v1', allow).ok).toBe(true);
    expect(checkUpstreamUrl('http://2130706433:3000/', allow).ok).toBe(true); // the same address
    expect(checkUpstreamUrl('http://[::ffff:127.0.0.1]/', allow).ok).toBe(true);
    expect(checkUpstreamUrl('http://localhost:1234/', allow).ok).toBe(true);
    expect(checkUpstreamUrl('https://upstream.internal:8443/', allow).ok).toBe(true);
    expect(checkUpstreamUrl('https://upstream.internal/', allow).ok).toBe(false);
    expect(checkUpstreamUrl('http://10.20.30.40/', allow).ok).toBe(true);
    expect(checkUpstreamUrl('http://[::1]:9000/', allow).ok).toBe(true);
    expect(checkUpstreamUrl('http://[::1]:9001/', allow).ok).toBe(false);
    expect(checkUpstreamUrl('http://127.0.0.2/', allow).ok).toBe(false);
    expect(checkUpstreamUrl('http://api.localhost/', allow).ok).toBe(false);
    expect(checkUpstreamUrl('http://192.168.0.1/', allow).ok).toBe(false);
  });

  it('allows the IPv6 forms of an allowlisted IPv4 address, and an IPv6 range as written', () => {
    const allow = parseUpstreamAllowlist('127.0.0.1, 10.0.0.0/8, 64:ff9b:1::/48');
    expect(checkUpstreamUrl('http://[::7f00:1]:3000/', allow).ok).toBe(true);
    expect(checkUpstreamUrl('http://[64:ff9b::a01:203]/', allow).ok).toBe(true);
    expect(checkUpstreamUrl('http://[64:ff9b:1::c0a8:1]/', allow).ok).toBe(true);
    expect(checkUpstreamUrl('http://[::7f00:2]/', allow).ok).toBe(false);
    expect(checkUpstreamUrl('http://[2002:c0a8:1::]/', allow).ok).toBe(false);
  });

  it('names the setting the allowlist came from', () => {
    const r = checkUpstreamUrl('http://10.0.0.1/', parseUpstreamAllowlist('', 'MCP_ALLOWLIST'));
    expect(r.ok || r.reason).toMatch(/see MCP_ALLOWLIST/);
    const named = checkUpstreamUrl('http://intranet/', parseUpstreamAllowlist('', 'WEBHOOK_ALLOWLIST'));
    expect(named.ok || named.reason).toMatch(/see WEBHOOK_ALLOWLIST/);
  });

  it('refuses a malformed allowlist entry by name', () => {
    expect(() => parseUpstreamAllowlist('10.0.0.1/8')).toThrow(/10\.0\.0\.1\/8/);
    expect(() => parseUpstreamAllowlist('host:99999')).toThrow(/port/);
    expect(() => parseUpstreamAllowlist('bad host!')).toThrow(/bad host!/);
    expect(parseUpstreamAllowlist('').ranges).toEqual([]);
  });
});

describe('isAllowedAddress (for resolved host names)', () => {
  it('allows public unicast and allowlisted ranges only', () => {
    const allow = parseUpstreamAllowlist('127.0.0.1');
    expect(isAllowedAddress('93.184.216.34')).toBe(true);
    expect(isAllowedAddress('10.0.0.1')).toBe(false);
    expect(isAllowedAddress('::ffff:169.254.169.254')).toBe(false);
    expect(isAllowedAddress('127.0.0.1', allow)).toBe(true);
    expect(isAllowedAddress('::ffff:127.0.0.1', allow)).toBe(true);
    expect(isAllowedAddress('garbage')).toBe(false);
  });
  it('judges a resolved IPv6 address that embeds an IPv4 one (DNS64, 6to4, compatible) as that address', () => {
    expect(isAllowedAddress('::7f00:1')).toBe(false);
    expect(isAllowedAddress('::a00:1')).toBe(false);
    expect(isAllowedAddress('64:ff9b::a9fe:a9fe')).toBe(false);
    expect(isAllowedAddress('2002:a00:1::1')).toBe(false);
    expect(isAllowedAddress('64:ff9b::808:808')).toBe(true);
    expect(isAllowedAddress('::7f00:1', parseUpstreamAllowlist('127.0.0.1'))).toBe(true);
  });
});
