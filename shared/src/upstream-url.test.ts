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
});
