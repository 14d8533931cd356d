const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface OriginHeaders {
  method: string;
  authorization: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
}

/**
 * Whether a request may change state on the strength of the browser's cookie: safe methods and
 * Bearer-token calls (a browser never adds those on its own) always may; anything else that a browser
 * marks as coming from another site may not. `Origin` is compared with the dashboard's own origin
 * (`null`, sent from sandboxed or privacy-sensitive contexts, is another site); without `Origin`,
 * `Sec-Fetch-Site` must say same-origin or none (typed in by the user). A request with neither header
 * is not from a browser page, so it carries no ambient cookie worth protecting.
 */
export function isCrossSite(h: OriginHeaders, allowedOrigin: string): boolean {
  if (SAFE_METHODS.has(h.method.toUpperCase())) return false;
  if (h.authorization !== undefined && /^Bearer\s+\S+$/i.test(h.authorization)) return false;
  if (h.origin !== undefined) return h.origin !== allowedOrigin;
  if (h.secFetchSite !== undefined) return h.secFetchSite !== 'same-origin' && h.secFetchSite !== 'none';
  return false;
}
