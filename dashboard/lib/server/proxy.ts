import { CONTROL_PLANE_BODY_LIMIT_BYTES } from '@portcullis/shared/errors';
import type { NextRequest } from 'next/server';
import { controlPlaneUrl } from './control-plane-url';

const TIMEOUT_MS = 30_000;

/** Set by server.mjs from the socket (and trusted proxies only), replacing whatever the client sent. */
export const CLIENT_ADDRESS_HEADER = 'x-portcullis-client-address';

// Only what the control plane needs; hop-by-hop and host headers must not be copied. Origin and
// Sec-Fetch-Site let the control plane refuse cross-site changes made with the browser's cookie.
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'authorization',
  'content-type',
  'cookie',
  'origin',
  'sec-fetch-site',
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
  // Only the address server.mjs saw: the browser's own X-Forwarded-For is never passed on. Without
  // server.mjs (`next dev`) there is none, and the control plane sees this process as the client.
  const clientIp = request.headers.get(CLIENT_ADDRESS_HEADER);
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

const tooLarge = (): Response =>
  errorResponse(
    413,
    'payload_too_large',
    `The request body is larger than ${CONTROL_PLANE_BODY_LIMIT_BYTES / (1024 * 1024)} MB`,
  );

/**
 * Reads the body up to `limit` bytes. A declared Content-Length over the limit is refused before
 * anything is read; otherwise bytes are counted as they stream in and reading stops at the first one
 * past the limit, so a body that lies about (or omits) its length is never buffered whole. Null: too large.
 */
export async function readCappedBody(request: Request, limit: number): Promise<Uint8Array | null> {
  const declared = request.headers.get('content-length');
  if (declared !== null && (!/^\d+$/.test(declared) || Number(declared) > limit)) return null;
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

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
  const body = hasBody ? await readCappedBody(request, CONTROL_PLANE_BODY_LIMIT_BYTES) : undefined;
  if (body === null) return tooLarge();

  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers: requestHeaders(request),
      body: body && body.byteLength > 0 ? (body as Uint8Array<ArrayBuffer>) : undefined,
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
