/**
 * The dashboard's edge over plain HTTP (no browser needed): the built dashboard (server.mjs) in front of
 * the built control plane. A client cannot choose the address the control plane sees, a page of another
 * site cannot use the session cookie, nothing is framed, `next=` cannot leave the site, and an oversized
 * body is refused by the dashboard before it is read whole.
 */
import { request as httpRequest } from 'node:http';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  queryDatabase,
  type RunningProcess,
  startControlPlane,
} from '@portcullis/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlaneEnvFor, startDashboard } from './stack';

const ADMIN = { email: 'edge-admin@portcullis.test', password: 'edge-admin-password-1' };
const LIMIT = 2 * 1024 * 1024;

let db = '';
let cp: RunningProcess | null = null;
/** A dashboard that believes no proxy: the socket peer is the client. */
let direct: RunningProcess | null = null;
/** A dashboard behind an ingress on loopback (TRUSTED_PROXIES=127.0.0.1). */
let behindIngress: RunningProcess | null = null;
let url = '';
let ingressUrl = '';
let n = 0;
const unique = (p: string) => `${p}-${Date.now().toString(36)}${(n++).toString(36)}`;

beforeAll(async () => {
  db = await createDatabase('portcullis_edge');
  const cpPort = await freePort();
  const dashPort = await freePort();
  const ingressPort = await freePort();
  url = `http://127.0.0.1:${dashPort}`;
  ingressUrl = `http://127.0.0.1:${ingressPort}`;
  cp = await startControlPlane({
    DATABASE_URL: databaseUrl(db),
    PORT: String(cpPort),
    BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    BOOTSTRAP_ORG_NAME: 'Edge Org',
    ...controlPlaneEnvFor(url),
  });
  direct = await startDashboard(dashPort, `http://127.0.0.1:${cpPort}`);
  behindIngress = await startDashboard(ingressPort, `http://127.0.0.1:${cpPort}`, {
    TRUSTED_PROXIES: '127.0.0.1',
  });
}, 180_000);

afterAll(async () => {
  await behindIngress?.stop();
  await direct?.stop();
  await cp?.stop();
  if (db) await dropDatabase(db);
}, 60_000);

const sourceIpsOf = async (email: string): Promise<string[]> =>
  (
    await queryDatabase<{ source_ip: string }>(
      db,
      'SELECT source_ip FROM login_attempts WHERE email = $1 ORDER BY id',
      [email],
    )
  ).map((r) => r.source_ip);

const failedLogin = (base: string, email: string, forwardedFor?: string) =>
  fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      // Both dashboards stand for the one public URL (PUBLIC_DASHBOARD_URL) the browser sees.
      origin: url,
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
    body: JSON.stringify({ email, password: 'wrong-password' }),
  });

async function signInCookie(): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify(ADMIN),
  });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

describe('client addresses', () => {
  it('the browser’s own X-Forwarded-For never reaches the control plane: it sees the address the dashboard saw', async () => {
    const email = `${unique('spoof')}@example.test`;
    for (const claimed of ['203.0.113.1', '198.51.100.2, 203.0.113.3']) {
      expect((await failedLogin(url, email, claimed)).status).toBe(401);
    }
    expect((await failedLogin(url, email)).status).toBe(401);
    expect(await sourceIpsOf(email)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });

  it('behind a trusted ingress, the address the ingress saw (its right-most hop), not what the browser prepended', async () => {
    const email = `${unique('ingress')}@example.test`;
    // The ingress appends the peer it saw; anything left of it was written by the client.
    expect((await failedLogin(ingressUrl, email, '6.6.6.6, 203.0.113.50')).status).toBe(401);
    expect((await failedLogin(ingressUrl, email, '198.51.100.60')).status).toBe(401);
    expect(await sourceIpsOf(email)).toEqual(['203.0.113.50', '198.51.100.60']);
  });
});

describe('cross-site requests and framing', () => {
  it('a change another site makes with the session cookie is refused; the dashboard’s own works', async () => {
    const cookie = await signInCookie();
    const evil = await fetch(`${url}/api/v1/orgs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: 'https://evil.example' },
      body: JSON.stringify({ name: unique('csrf') }),
    });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: { code: string } }).error.code).toBe('cross_site_request');
    const own = await fetch(`${url}/api/v1/orgs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: url, 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ name: unique('own') }),
    });
    expect(own.status).toBe(201);
  });

  it('pages and API answers carry a Content-Security-Policy that forbids framing', async () => {
    for (const path of ['/sign-in', '/keys', '/api/v1/me']) {
      const res = await fetch(`${url}${path}`, { redirect: 'manual' });
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("frame-ancestors 'none'");
    }
    const page = await fetch(`${url}/sign-in`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("object-src 'none'");
  });
});

describe('sign-in redirect', () => {
  it.each([
    ['/%09/evil.example'],
    ['//evil.example'],
    ['/%5Cevil.example'],
    ['https://evil.example/'],
    // Dot segments the URL parser resolves into //evil.example.
    ['/.//evil.example'],
    ['/%2e%2e//evil.example'],
  ])('next=%s is replaced by / in the page the server sends', async (next) => {
    const html = await (await fetch(`${url}/sign-in?next=${next}`)).text();
    // The form's destination, as rendered and as handed to the client component. (Next echoes the
    // page's own URL, query included, in its data; that is not a destination.)
    expect(html.match(/data-next="[^"]*"/g)).toEqual(['data-next="/"']);
    expect(html).toContain('{\\"next\\":\\"/\\"}');
  });

  it('a path of our own is kept', async () => {
    const html = await (
      await fetch(`${url}/sign-in?next=${encodeURIComponent('/keys?status=active')}`)
    ).text();
    expect(html).toContain('data-next="/keys?status=active"');
  });
});

/** Sends `size` bytes of body in 64 KiB chunks without ending the request; resolves with the answer. */
function streamWithoutEnding(
  path: string,
  size: number,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; requestId: string | undefined; sent: number }> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    let sent = 0;
    const req = httpRequest(
      { method: 'POST', hostname: target.hostname, port: target.port, path: target.pathname, headers },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => {
          req.destroy();
          resolve({
            status: res.statusCode ?? 0,
            body,
            requestId: res.headers['x-request-id'] as string,
            sent,
          });
        });
      },
    );
    req.on('error', reject);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (sent < size) {
        const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      // Deliberately never ended: only a proxy that stops reading at the limit can answer.
    };
    pump();
  });
}

describe('request bodies', () => {
  it('a declared Content-Length over the limit is refused by the dashboard, before the control plane sees it', async () => {
    const res = await streamWithoutEnding('/api/v1/auth/login', 64 * 1024, {
      'content-type': 'application/json',
      'content-length': String(LIMIT + 1),
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: 'payload_too_large', message: 'The request body is larger than 2 MB' },
    });
    // The control plane stamps every answer with a request id; this one never got there.
    expect(res.requestId).toBeUndefined();
  });

  it('a chunked body that grows past the limit is refused as soon as it does, without waiting for its end', async () => {
    const res = await streamWithoutEnding('/api/v1/auth/login', LIMIT + 256 * 1024, {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('payload_too_large');
    expect(res.requestId).toBeUndefined();
  });

  it('a body within the limit passes through', async () => {
    const res = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url },
      body: JSON.stringify(ADMIN),
    });
    expect(res.status).toBe(200);
  });
});
