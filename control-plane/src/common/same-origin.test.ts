import { describe, expect, it } from 'vitest';
import { isCrossSite } from './same-origin';

const DASH = 'https://console.example.test';
const req = (over: Partial<Parameters<typeof isCrossSite>[0]>) => ({
  method: 'POST',
  authorization: undefined,
  origin: undefined,
  secFetchSite: undefined,
  ...over,
});

describe('isCrossSite', () => {
  it('refuses a change from another origin, a null origin or a cross-site fetch', () => {
    expect(isCrossSite(req({ origin: 'https://evil.example' }), DASH)).toBe(true);
    expect(isCrossSite(req({ origin: 'null' }), DASH)).toBe(true);
    expect(isCrossSite(req({ origin: 'http://console.example.test' }), DASH)).toBe(true);
    expect(isCrossSite(req({ secFetchSite: 'cross-site' }), DASH)).toBe(true);
    expect(isCrossSite(req({ secFetchSite: 'same-site' }), DASH)).toBe(true);
    expect(isCrossSite(req({ method: 'delete', origin: 'https://evil.example' }), DASH)).toBe(true);
  });

  it('lets through the dashboard, reads, Bearer calls and clients that are not browsers', () => {
    expect(isCrossSite(req({ origin: DASH, secFetchSite: 'same-origin' }), DASH)).toBe(false);
    expect(isCrossSite(req({ secFetchSite: 'none' }), DASH)).toBe(false);
    expect(isCrossSite(req({ method: 'GET', origin: 'https://evil.example' }), DASH)).toBe(false);
    expect(isCrossSite(req({ authorization: 'Bearer ptcs_x', origin: 'https://evil.example' }), DASH)).toBe(
      false,
    );
    expect(isCrossSite(req({}), DASH)).toBe(false);
  });

  it('a malformed Authorization header does not exempt a request', () => {
    expect(isCrossSite(req({ authorization: 'Basic abc', origin: 'https://evil.example' }), DASH)).toBe(true);
  });
});
