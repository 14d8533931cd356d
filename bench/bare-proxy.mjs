// The baseline for gateway overhead: a bare Hono proxy that forwards every request to one upstream
// with an undici Pool and streams the answer back. It checks nothing: no auth, no limits, no metering.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Pool } from 'undici';

const upstream = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:9090';
const port = Number(process.env.PORT ?? 8090);
const pool = new Pool(upstream, { connections: 128, pipelining: 1 });
const HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

const app = new Hono();
app.all('*', async (c) => {
  const headers = {};
  for (const [k, v] of c.req.raw.headers) if (!HOP.has(k)) headers[k] = v;
  const body =
    c.req.method === 'GET' || c.req.method === 'HEAD' ? undefined : Buffer.from(await c.req.arrayBuffer());
  const res = await pool.request({ method: c.req.method, path: new URL(c.req.url).pathname, headers, body });
  const out = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (!HOP.has(k) && typeof v === 'string') out.set(k, v);
  }
  return new Response(res.body, { status: res.statusCode, headers: out });
});
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () =>
  console.log(`bare proxy listening on ${port}`),
);
