import type { NextRequest } from 'next/server';
import { controlPlaneUrl } from './control-plane-url';

const TIMEOUT_MS = 30_000;

// Only what the control plane needs; hop-by-hop and host headers must not be copied.
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'authorization',
  'content-type',
  'cookie',
  'user-agent',
  'x-forwarded-proto',
  'x-request-id',
] as const;

// content-length and content-encoding are left out on purpose: fetch has already decoded the body.
const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'cache-control',
  'location',
  'retry-after',
  'x-request-id',
];

const BODYLESS_STATUSES = new Set([101, 204, 205, 304]);

const errorResponse = (status: number, code: string, message: string): Response =>
  Response.json({ error: { code, message } }, { status, headers: { 'cache-control': 'no-store' } });

/** Resolves `/api/...` of this app to the same path on the control plane, or null if it escapes /api/. */
const targetUrl = (base: URL, request: NextRequest): URL | null => {
  const basePath = base.pathname.replace(/\/+$/, '');
  const target = new URL(base.origin);
  target.pathname = `${basePath}${request.nextUrl.pathname}`;
  target.search = request.nextUrl.search;
  return target.pathname.startsWith(`${basePath}/api/`) ? target : null;
};

const requestHeaders = (request: NextRequest): Headers => {
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  // Next sets x-forwarded-for to the socket address unless the client already sent one.
  const clientIp = request.headers.get('x-forwarded-for');
  if (clientIp) headers.set('x-forwarded-for', clientIp);
  return headers;
};

const responseHeaders = (upstream: Response): Headers => {
  const headers = new Headers();
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  for (const [name, value] of upstream.headers) {
    if (name.startsWith('x-ratelimit-')) headers.set(name, value);
  }
  // Each cookie separately: joining Set-Cookie values with commas corrupts Expires dates.
  for (const cookie of upstream.headers.getSetCookie()) headers.append('set-cookie', cookie);
  return headers;
};

/** A path fit for logs: an invitation token (`/invitations/<token>/accept`) is a credential. */
export const loggablePath = (pathname: string): string =>
  pathname.replace(/\/invitations\/[^/]+/, '/invitations/:token');

const isTimeout = (error: unknown): boolean => error instanceof DOMException && error.name === 'TimeoutError';

export const proxyToControlPlane = async (request: NextRequest): Promise<Response> => {
  const base = controlPlaneUrl();
  if (!base) {
    console.error('CONTROL_PLANE_URL is not a valid http(s) URL');
    return errorResponse(500, 'control_plane_misconfigured', 'The dashboard is not configured correctly.');
  }
  const target = targetUrl(base, request);
  if (!target) return errorResponse(404, 'not_found', 'Not found.');

  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const body = hasBody ? await request.arrayBuffer() : undefined;

  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers: requestHeaders(request),
      body: body && body.byteLength > 0 ? body : undefined,
      redirect: 'manual',
      cache: 'no-store',
      signal: AbortSignal.any([request.signal, AbortSignal.timeout(TIMEOUT_MS)]),
    });
  } catch (error) {
    if (isTimeout(error)) {
      return errorResponse(504, 'control_plane_timeout', 'The control plane did not answer in time.');
    }
    console.error(`control plane request ${request.method} ${loggablePath(target.pathname)} failed:`, error);
    return errorResponse(
      502,
      'control_plane_unreachable',
      'The control plane is unreachable. Try again shortly.',
    );
  }

  const passBody = !BODYLESS_STATUSES.has(upstream.status) && request.method !== 'HEAD';
  return new Response(passBody ? upstream.body : null, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: responseHeaders(upstream),
  });
};
