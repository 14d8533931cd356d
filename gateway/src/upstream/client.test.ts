import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EMPTY_ALLOWLIST, parseUpstreamAllowlist } from '@portcullis/shared/upstream-url';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { guardedLookup, UpstreamBlockedError, UpstreamClient } from './client.js';

const resolve = (allow: string, host: string) =>
  new Promise<{ err: Error | null; address: string }>((done) =>
    guardedLookup(allow === '' ? EMPTY_ALLOWLIST : parseUpstreamAllowlist(allow))(host, {}, (err, address) =>
      done({ err, address: String(address) }),
    ),
  );

describe('guardedLookup (DNS-time SSRF check)', () => {
  it('refuses a name that resolves to loopback unless its address range is allowlisted', async () => {
    const refused = await resolve('', 'localhost');
    expect(refused.err).toBeInstanceOf(UpstreamBlockedError);
    expect(refused.err?.message).toMatch(/localhost resolves to .* not a public address/);
    const allowed = await resolve('127.0.0.0/8,::1/128', 'localhost');
    expect(allowed.err).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(allowed.address);
  });

  it('passes DNS failures through unchanged', async () => {
    const res = await resolve('', 'no-such-host.invalid');
    expect(res.err).not.toBeNull();
    expect(res.err).not.toBeInstanceOf(UpstreamBlockedError);
  });
});

describe('UpstreamClient', () => {
  it('refuses private and local origins at pool creation, allows them when allowlisted', () => {
    const strict = new UpstreamClient();
    for (const origin of [
      'http://127.0.0.1:9',
      'http://10.1.2.3',
      'http://[::1]:80',
      'http://localhost:9',
      'http://2130706433',
    ])
      expect(() => strict.pool(new URL(origin).origin)).toThrow(UpstreamBlockedError);
    const open = new UpstreamClient({ allowlist: parseUpstreamAllowlist('127.0.0.1,10.0.0.0/8') });
    expect(open.pool('http://127.0.0.1:9')).toBeDefined();
    expect(open.pool('http://10.1.2.3')).toBeDefined();
    return Promise.all([strict.close(), open.close()]);
  });

  it('a host allowlisted by name connects wherever it resolves', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const client = new UpstreamClient({ allowlist: parseUpstreamAllowlist(`localhost:${port}`) });
    try {
      const res = await client.pool(`http://localhost:${port}`).request({ path: '/', method: 'GET' });
      expect(await res.body.text()).toBe('ok');
      expect(() => client.pool(`http://localhost:${port + 1}`)).toThrow(UpstreamBlockedError);
    } finally {
      await client.close();
      await new Promise((r) => server.close(r));
    }
  });

  it('undici surfaces a refused DNS answer as UPSTREAM_BLOCKED (what forward() maps to 502)', async () => {
    const pool = new Pool('http://localhost:9', { connect: { lookup: guardedLookup(EMPTY_ALLOWLIST) } });
    try {
      const err = await pool.request({ path: '/', method: 'GET' }).then(
        () => null,
        (e: { code?: string }) => e,
      );
      expect(err?.code).toBe('UPSTREAM_BLOCKED');
    } finally {
      await pool.close();
    }
  });
});
