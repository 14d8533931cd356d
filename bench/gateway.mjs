#!/usr/bin/env node
// Gateway benchmarks, every figure next to a baseline measured in the same run:
//  1. overhead: the same load straight at the fake upstream, through a bare undici proxy (baseline)
//     and through the gateway with 100,000 keys loaded and every pipeline stage on;
//  2. snapshot scale: time and RSS for a gateway to load 100,000 keys, and one delta at that size;
//  3. revocation propagation: revoke → all 3 gateways refuse, p50/p99 over 100 revocations;
//  4. failed key checks: a valid (cached) key's p50 and throughput while a flood of well-formed wrong
//     secrets (many key ids, IPv4 and IPv6 addresses through X-Forwarded-For) runs, vs without the flood.
//     BENCH_FLOOD_ONLY=1 runs only this part (with 20,000 keys); BENCH_FLOOD_RATE sets the flood's req/s
//     [1000], BENCH_FLOOD_ROUNDS the alternating no-flood/flood rounds [3].
// Placement on the 2 cores: gateway and bare proxy on CPU 0; load generator, fake upstream, control
// plane, Redis on CPU 1 (taskset). Usage: pnpm --dir bench bench [-- --quick]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { request } from 'undici';
import { controlPlaneApi, signIn } from '../testing/dist/rest.js';
import {
  addFakeModel,
  copyKeyRows,
  cpuMs,
  freePort,
  percentile,
  pg,
  root,
  rssMb,
  start,
  startControlPlane,
  startFakeUpstream,
  startRedis,
} from './lib.mjs';

if (!process.env.BENCH_PINNED) {
  // Re-run pinned to CPU 1, so the load generator never competes with the gateway's core.
  const r = spawnSync('taskset', ['-c', '1', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' },
  });
  process.exit(r.status ?? 1);
}

const QUICK = process.argv.includes('--quick');
const FLOOD_ONLY = Boolean(process.env.BENCH_FLOOD_ONLY);
const FLOOD_RATE = Number(process.env.BENCH_FLOOD_RATE ?? 1000);
const FLOOD_ROUNDS = Number(process.env.BENCH_FLOOD_ROUNDS ?? 3);
const DURATION = QUICK ? 3 : 8;
const BULK_KEYS = QUICK || FLOOD_ONLY ? 20_000 : 99_999;
const REVOCATIONS = QUICK ? 30 : 100;
const MASTER_KEY = Buffer.alloc(32, 9).toString('base64');
const UPSTREAM_SECRET = 'sk-bench-upstream-secret-000000000';
const db = `portcullis_bench_gw_${process.pid}`;
const stateDirs = [];
const procs = [];

async function main() {
  execFileSync('createdb', [...pg, db]);
  const redis = await startRedis({ cpus: '1' });
  const redisPort = redis.port;
  procs.push(redis);
  const upstream = await startFakeUpstream({ cpus: '1' });
  const upstreamUrl = upstream.url;
  procs.push(upstream);
  const controlPlane = await startControlPlane({
    db,
    redisPort,
    env: {
      PORTCULLIS_MASTER_KEY: MASTER_KEY,
      UPSTREAM_ALLOWLIST: '127.0.0.1',
      BOOTSTRAP_ADMIN_EMAIL: 'bench@portcullis.test',
      BOOTSTRAP_ADMIN_PASSWORD: 'bench-password-1',
      BOOTSTRAP_ORG_NAME: 'Bench',
      // The bench makes many keys for its one user.
      MAX_KEYS_PER_USER: '10000000',
    },
    cpus: '1',
  });
  const cpUrl = controlPlane.url;
  procs.push(controlPlane);

  const { token, orgId: org } = await signIn(cpUrl, 'bench@portcullis.test', 'bench-password-1');
  await addFakeModel(controlPlaneApi(cpUrl), token, org, upstreamUrl, UPSTREAM_SECRET);
  // Every stage has work to do for this key: IP allowlist, model and provider scope, all limits.
  const everyStage = {
    ipAllowlist: ['127.0.0.1/32', '10.0.0.0/8'],
    allowedModels: ['gpt-4o-mini'],
    allowedProviders: ['openai_compatible'],
    limits: {
      requestsPerMinute: 1_000_000_000,
      tokensPerMinute: 1_000_000_000,
      inputTokensPerMinute: 1_000_000_000,
      outputTokensPerMinute: 1_000_000_000,
      concurrentRequests: 10_000,
    },
    metadata: { team: 'bench' },
  };
  const benchKey = await call(cpUrl, 'POST', `/orgs/${org}/keys`, token, { name: 'bench', ...everyStage });
  // The same key with a budget far out of reach: the budget stage reserves and settles every call.
  const budgetKey = await call(cpUrl, 'POST', `/orgs/${org}/keys`, token, {
    name: 'bench budgeted',
    ...everyStage,
    budget: { limitUsd: 1_000_000_000, period: 'monthly', alertThresholds: [] },
  });
  copyKeyRows(db, benchKey.key.id, BULK_KEYS);

  const floodCtx = { cpUrl, org, token, redisPort, controlPlane, benchKey };
  if (FLOOD_ONLY) {
    printFlood(await floodRun(floodCtx));
    return;
  }

  // --- snapshot scale -----------------------------------------------------------------------------
  const snapStart = performance.now();
  const snapRes = await fetch(`${cpUrl}/api/v1/gateway/snapshot`, {
    headers: { authorization: `Bearer ${(await gatewayToken(cpUrl, org, token, 'probe')).token}` },
  });
  const snapBytes = (await snapRes.arrayBuffer()).byteLength;
  const snapMs = performance.now() - snapStart;

  const gateways = [];
  for (let i = 0; i < 3; i++) {
    const t = await gatewayToken(cpUrl, org, token, `edge-${i + 1}`);
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-bench-gw-'));
    stateDirs.push(dir);
    const began = performance.now();
    // BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the gateways.
    const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const g = await start(
      `gateway-${i + 1}`,
      process.execPath,
      [...nodeArgs, path.join(root, 'gateway/dist/main.js')],
      {
        env: {
          PORT: String(port),
          CONTROL_PLANE_URL: cpUrl,
          GATEWAY_TOKEN: t.token,
          REDIS_URL: `redis://127.0.0.1:${redisPort}`,
          GATEWAY_STATE_DIR: dir,
          UPSTREAM_ALLOWLIST: '127.0.0.1',
        },
        cpus: '0',
        readyUrl: `http://127.0.0.1:${port}/readyz`,
      },
    );
    procs.push(g);
    gateways.push({ url: `http://127.0.0.1:${port}`, proc: g, readyMs: performance.now() - began });
  }
  const gw = gateways[0];
  const rss = await rssMb(gw.proc.proc.pid);
  // Again once the start-up garbage (the parsed wire snapshot, the disk-cache write) is collected.
  await new Promise((r) => setTimeout(r, 5000));
  const rssSettled = await rssMb(gw.proc.proc.pid);
  if (process.env.BENCH_SNAPSHOT_ONLY) {
    console.log(
      `snapshot only: ready ${gateways.map((g) => g.readyMs.toFixed(0)).join(' / ')} ms; RSS ${rss.toFixed(0)} MB at ready, ${rssSettled.toFixed(0)} MB 5 s later`,
    );
    return;
  }

  const bareProxyPort = await freePort();
  const bareProxy = await start('bare-proxy', process.execPath, [path.join(root, 'bench/bare-proxy.mjs')], {
    env: { PORT: String(bareProxyPort), UPSTREAM_URL: upstreamUrl },
    cpus: '0',
    readyLine: 'listening on',
  });
  procs.push(bareProxy);
  /** The process whose CPU time per request is reported, per target (the upstream's is not). */
  const pids = { 'bare proxy': bareProxy.proc.pid, gateway: gw.proc.proc.pid };
  const targets = {
    upstream: `${upstreamUrl}/v1/chat/completions`,
    'bare proxy': `http://127.0.0.1:${bareProxyPort}/v1/chat/completions`,
    gateway: `${gw.url}/v1/chat/completions`,
  };
  const headers = { authorization: `Bearer ${benchKey.secret}`, 'content-type': 'application/json' };
  // The upstream and the bare proxy are called as the provider is, with its secret (the fake upstream,
  // like a provider, refuses a Portcullis key); the gateway with the Portcullis key.
  const providerHeaders = { authorization: `Bearer ${UPSTREAM_SECRET}`, 'content-type': 'application/json' };
  const headersOf = (name) => (name === 'gateway' ? headers : providerHeaders);
  // stream 'usage': a client that asks for usage itself (stream_options.include_usage), whose stream the
  // gateway passes as it is; a plain stream (true) is asked for usage by the gateway, which hides it.
  const body = (stream) =>
    JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say hello.' }],
      stream: stream !== false,
      ...(stream === 'usage' ? { stream_options: { include_usage: true } } : {}),
    });

  // Warm the gateway (argon2 verify once, JIT) and the others.
  for (const [name, url] of Object.entries(targets)) {
    for (let i = 0; i < 200; i++) {
      const r = await request(url, { method: 'POST', headers: headersOf(name), body: body(false) });
      if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${await r.body.text()}`);
      await r.body.dump();
    }
  }

  // --- overhead -----------------------------------------------------------------------------------
  // The control plane is paused (SIGSTOP) while load runs: it shares CPU 1 with the load generator, and
  // ingesting the gateway's usage events there would slow the generator for the gateway's rows only (the
  // bare proxy emits none). The gateways keep serving from their snapshot; the events wait in Redis and
  // are ingested once it resumes (SIGCONT) before the revocation run.
  controlPlane.proc.kill('SIGSTOP');
  const overhead = [];
  for (const stream of [false, true, 'usage']) {
    for (const connections of [1, 50]) {
      const row = {
        load: `${stream === 'usage' ? 'streamed+usage' : stream ? 'streamed' : 'plain'}, ${connections} conn`,
      };
      for (const [name, url] of Object.entries(targets)) {
        const pid = pids[name];
        const cpuBefore = pid ? await cpuMs(pid) : 0;
        const r = await autocannon({
          url,
          method: 'POST',
          headers: headersOf(name),
          body: body(stream),
          connections,
          duration: DURATION,
        });
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        const cpu = pid ? ((await cpuMs(pid)) - cpuBefore) / Math.max(1, r.requests.total) : 0;
        row[name] = { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpu };
      }
      overhead.push(row);
    }
  }

  // Sequential requests on one connection, timed with performance.now() (autocannon's histogram has
  // whole-millisecond resolution): whole-response latency (plain and streamed) and first streamed chunk.
  const precise = {};
  const SEQ = QUICK ? 300 : 2000;
  for (const [name, url] of Object.entries(targets)) {
    const whole = { plain: [], streamed: [] };
    const first = [];
    for (const stream of [false, true]) {
      for (let i = 0; i < SEQ; i++) {
        const t0 = performance.now();
        const r = await request(url, { method: 'POST', headers: headersOf(name), body: body(stream) });
        let sawFirst = false;
        for await (const _chunk of r.body) {
          if (stream && !sawFirst) first.push(performance.now() - t0);
          sawFirst = true;
        }
        whole[stream ? 'streamed' : 'plain'].push(performance.now() - t0);
      }
    }
    const pct = (xs) => {
      xs.sort((a, b) => a - b);
      return { p50: percentile(xs, 0.5), p99: percentile(xs, 0.99) };
    };
    precise[name] = { plain: pct(whole.plain), streamed: pct(whole.streamed), first: pct(first) };
  }

  // --- metering and budgets: the budgeted key vs the bench key (usage events are emitted for both) -
  const budgetHeaders = { ...headers, authorization: `Bearer ${budgetKey.secret}` };
  for (let i = 0; i < 200; i++) {
    const r = await request(targets.gateway, { method: 'POST', headers: budgetHeaders, body: body(false) });
    if (r.statusCode !== 200) throw new Error(`budgeted key: ${r.statusCode} ${await r.body.text()}`);
    await r.body.dump();
  }
  const budgetRuns = {};
  for (const [label, h] of [
    ['budget off', headers],
    ['budget on', budgetHeaders],
  ]) {
    const seq = [];
    for (let i = 0; i < SEQ; i++) {
      const t0 = performance.now();
      const r = await request(targets.gateway, { method: 'POST', headers: h, body: body(false) });
      await r.body.dump();
      seq.push(performance.now() - t0);
    }
    seq.sort((a, b) => a - b);
    const r = await autocannon({
      url: targets.gateway,
      method: 'POST',
      headers: h,
      body: body(false),
      connections: 50,
      duration: DURATION,
    });
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    budgetRuns[label] = {
      seq: { p50: percentile(seq, 0.5), p99: percentile(seq, 0.99) },
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
    };
  }

  controlPlane.proc.kill('SIGCONT');
  await new Promise((r) => setTimeout(r, 3000));

  // --- revocation propagation (3 gateways, 100,000 keys loaded) ----------------------------------
  const keys = [];
  for (let i = 0; i < REVOCATIONS; i++)
    keys.push(await call(cpUrl, 'POST', `/orgs/${org}/keys`, token, { name: `revoke ${i}` }));
  const modelsStatus = async (url, secret) => {
    const r = await request(`${url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
    await r.body.dump();
    return r.statusCode;
  };
  for (const k of keys) {
    for (const g of gateways) {
      while ((await modelsStatus(g.url, k.secret)) !== 200) await new Promise((r) => setTimeout(r, 5));
    }
  }
  const propagation = [];
  for (const k of keys) {
    await call(cpUrl, 'POST', `/orgs/${org}/keys/${k.key.id}/revoke`, token);
    const t0 = performance.now();
    const perGateway = await Promise.all(
      gateways.map(async (g) => {
        while ((await modelsStatus(g.url, k.secret)) !== 401) {
          if (performance.now() - t0 > 10_000) throw new Error('revocation did not propagate within 10 s');
        }
        return performance.now() - t0;
      }),
    );
    propagation.push(Math.max(...perGateway));
  }
  propagation.sort((a, b) => a - b);

  const flood = await floodRun(floodCtx);

  // --- report -------------------------------------------------------------------------------------
  const f = (n, d = 2) => n.toFixed(d);
  console.log(
    `\nPortcullis gateway benchmarks (${QUICK ? 'quick' : 'full'}; node ${process.version}; ${DURATION}s per load)`,
  );
  console.log(
    'placement: gateway + bare proxy on CPU 0; load generator, fake upstream, control plane (paused during load), Redis on CPU 1\n',
  );
  console.log('overhead: requests/s, p50/p99 ms (latency of the whole response)');
  console.log(
    '  streamed: the gateway asks upstream for usage and hides it from the client; streamed+usage: the client asked',
  );
  console.log(
    ['load', 'upstream', 'bare proxy', 'gateway', 'gw/bare rps', 'gw−bare p50', 'CPU ms/req gw / bare']
      .map((s) => s.padEnd(22))
      .join(''),
  );
  for (const row of overhead) {
    const cell = (r) => `${f(r.rps, 0)} ${f(r.p50)}/${f(r.p99)}`;
    console.log(
      [
        row.load,
        cell(row.upstream),
        cell(row['bare proxy']),
        cell(row.gateway),
        `${f(row.gateway.rps / row['bare proxy'].rps)}×`,
        `${f(row.gateway.p50 - row['bare proxy'].p50)} ms`,
        `${f(row.gateway.cpu, 3)} / ${f(row['bare proxy'].cpu, 3)} = ${f(row.gateway.cpu / row['bare proxy'].cpu)}×`,
      ]
        .map((s) => s.padEnd(22))
        .join(''),
    );
  }
  console.log(`\nlatency, 1 connection, ${SEQ} sequential requests each, p50/p99 ms`);
  console.log(['', 'plain', 'streamed (whole)', 'first chunk'].map((s) => s.padEnd(22)).join(''));
  for (const [name, t] of Object.entries(precise))
    console.log(
      [name, t.plain, t.streamed, t.first]
        .map((v) => (typeof v === 'string' ? v : `${f(v.p50, 3)} / ${f(v.p99, 3)}`).padEnd(22))
        .join(''),
    );
  const d = (k) => f(precise.gateway[k].p50 - precise['bare proxy'][k].p50, 3);
  console.log(
    `  gateway − bare proxy p50: plain ${d('plain')} ms, streamed ${d('streamed')} ms, first chunk ${d('first')} ms`,
  );
  console.log('\nmetering and budgets: key without budget vs key with a (huge) monthly budget, plain calls');
  console.log(
    ['', '1 conn p50/p99 ms', '50 conn rps', '50 conn p50/p99 ms'].map((s) => s.padEnd(22)).join(''),
  );
  for (const [label, b] of Object.entries(budgetRuns))
    console.log(
      [label, `${f(b.seq.p50, 3)} / ${f(b.seq.p99, 3)}`, f(b.rps, 0), `${f(b.p50)}/${f(b.p99)}`]
        .map((s) => s.padEnd(22))
        .join(''),
    );
  const on = budgetRuns['budget on'];
  const off = budgetRuns['budget off'];
  console.log(
    `  budget on − off: 1-conn p50 ${f(on.seq.p50 - off.seq.p50, 3)} ms, 50-conn throughput ${f(on.rps / off.rps)}×`,
  );
  console.log(`\nsnapshot scale (${BULK_KEYS + 1} keys)`);
  console.log(`  control plane builds the full snapshot: ${f(snapMs, 0)} ms, ${f(snapBytes / 1e6, 1)} MB`);
  console.log(
    `  gateway start → ready (register, fetch, validate, index): ${gateways.map((g) => f(g.readyMs, 0)).join(' / ')} ms`,
  );
  console.log(`  gateway RSS once ready: ${f(rss, 0)} MB; 5 s later: ${f(rssSettled, 0)} MB`);
  console.log(
    `\nrevocation propagation, 3 gateways, ${REVOCATIONS} revocations (revoke response → all refuse)`,
  );
  console.log(
    `  p50 ${f(percentile(propagation, 0.5))} ms, p99 ${f(percentile(propagation, 0.99))} ms, max ${f(propagation.at(-1))} ms`,
  );
  printFlood(flood);
}

// --- failed key checks: a valid key during a flood of wrong secrets -------------------------------
const FLOOD_CONNECTIONS = 512;
const VALID_CONNECTIONS = 10;
const FLOOD_ALONE_S = 3;

/**
 * Three gateways on CPU 0, all believing X-Forwarded-For from 127.0.0.1: two with the default guards, one
 * with them loosened (no per-address, per-key or per-second limit, no semaphore: argon2 bounded only by
 * libuv's 4 threads: what the guards are measured against). On each, a valid key (verified once, then cached) is loaded
 * without and then during a flood at FLOOD_RATE req/s: of well-formed wrong secrets for known key ids, or,
 * on the first gateway, of unknown key ids (the floor: requests refused with no hash work at all).
 */
async function floodRun({ cpUrl, org, token, redisPort, controlPlane, benchKey }) {
  const { makeKey } = await import(path.join(root, 'shared/dist/keys.js'));
  // The flood: a wrong secret for one of the bulk keys (real argon2 hashes), each from its own address,
  // IPv4 and IPv6 (every IPv6 address in its own /64) in turn; never the same secret twice.
  const floodCount = Math.ceil(FLOOD_RATE * (DURATION + FLOOD_ALONE_S + 3) * FLOOD_ROUNDS) + 1000;
  const floodOf = (unknownIds) => {
    const reqs = [];
    for (let i = 0; i < floodCount; i++) {
      const keyId = unknownIds ? undefined : `b${String(1 + (i % BULK_KEYS)).padStart(11, '0')}`;
      const from =
        i % 2 === 0
          ? `100.${64 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`
          : `2001:db8:${((i >> 16) & 0xffff).toString(16)}:${(i & 0xffff).toString(16)}::1`;
      reqs.push({ authorization: `Bearer ${makeKey(keyId).key}`, 'x-forwarded-for': from });
    }
    return reqs;
  };
  const wrongSecrets = floodOf(false);
  // The floor: the same flood with key ids no gateway knows, refused before any hash work. What it costs is
  // the price of answering that many requests at all, which no key check can lower.
  const unknownIds = floodOf(true);
  const variants = {
    'guarded, unknown key ids': { env: {}, flood: unknownIds },
    guarded: { env: {}, flood: wrongSecrets },
    'guards loosened': {
      env: {
        AUTH_VERIFY_CONCURRENCY: '64',
        AUTH_VERIFY_QUEUE: '1000000',
        AUTH_FAILURES_PER_ADDRESS_PER_MINUTE: '1000000000',
        AUTH_FAILURES_PER_KEY_PER_MINUTE: '1000000000',
        AUTH_FAILURES_PER_SECOND: '1000000000',
      },
      flood: wrongSecrets,
    },
  };
  const started = {};
  for (const [name, { env: extra, flood }] of Object.entries(variants)) {
    const t = await gatewayToken(cpUrl, org, token, `flood-${name.replace(/\W+/g, '-')}`);
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-bench-gw-'));
    stateDirs.push(dir);
    const g = await start(`gateway (${name})`, process.execPath, [path.join(root, 'gateway/dist/main.js')], {
      env: {
        PORT: String(port),
        CONTROL_PLANE_URL: cpUrl,
        GATEWAY_TOKEN: t.token,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        GATEWAY_STATE_DIR: dir,
        UPSTREAM_ALLOWLIST: '127.0.0.1',
        TRUSTED_PROXIES: '127.0.0.1',
        ...extra,
      },
      cpus: '0',
      readyUrl: `http://127.0.0.1:${port}/readyz`,
    });
    procs.push(g);
    started[name] = { url: `http://127.0.0.1:${port}`, pid: g.proc.pid, stop: g.stop, flood };
  }
  const headers = { authorization: `Bearer ${benchKey.secret}`, 'content-type': 'application/json' };
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] });
  const argon2Calls = async (url) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/portcullis_gateway_auth_cache_total\{result="miss"\} (\d+)/.exec(text)?.[1] ?? 0);
  };
  /** Closed-loop load of the valid key on `connections` for `ms`, each request timed with performance.now(). */
  const loop = async (url, connections, ms) => {
    const latencies = [];
    const began = performance.now();
    const deadline = began + ms;
    let failed = 0;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          const r = await request(`${url}/v1/chat/completions`, { method: 'POST', headers, body });
          await r.body.dump();
          if (r.statusCode !== 200) failed++;
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - began) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      rps: latencies.length / seconds,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      failed,
    };
  };
  /**
   * The valid key's latency (one connection, sequential: what one client sees, no queueing of its own) and
   * throughput (VALID_CONNECTIONS connections: what the gateway can still serve), half the run each.
   */
  const validLoad = async (url) => {
    const one = await loop(url, 1, (DURATION * 1000) / 2);
    const many = await loop(url, VALID_CONNECTIONS, (DURATION * 1000) / 2);
    return { rps: many.rps, p50: one.p50, p99: one.p99, failed: one.failed + many.failed };
  };

  const runs = Object.fromEntries(
    Object.keys(started).map((name) => [name, { quiet: [], loud: [], flood: [] }]),
  );
  const cursor = Object.fromEntries(Object.keys(started).map((name) => [name, 0]));
  controlPlane.proc.kill('SIGSTOP');
  try {
    for (const [name, g] of Object.entries(started)) {
      for (let i = 0; i < 200; i++) {
        const r = await request(`${g.url}/v1/chat/completions`, { method: 'POST', headers, body });
        if (r.statusCode !== 200) throw new Error(`${name}: ${r.statusCode} ${await r.body.text()}`);
        await r.body.dump();
      }
    }
    // Rounds alternate quiet and flooded runs, gateway by gateway: the machine is shared, and a neighbour's
    // load then falls on both sides of a ratio rather than on one.
    for (let round = 0; round < FLOOD_ROUNDS; round++) {
      for (const [name, g] of Object.entries(started)) {
        runs[name].quiet.push(await validLoad(g.url));
        const argon2Before = await argon2Calls(g.url);
        const flooding = autocannon({
          url: `${g.url}/v1/models`,
          connections: FLOOD_CONNECTIONS,
          overallRate: FLOOD_RATE,
          duration: DURATION + FLOOD_ALONE_S + 2,
          requests: [
            {
              setupRequest: (req) => {
                req.headers = { ...req.headers, ...g.flood[cursor[name]++ % g.flood.length] };
                return req;
              },
            },
          ],
        });
        // Let the flood fill the gateway's queues, then measure what the flood alone costs the gateway (CPU
        // time per second: steadier than latency when the machine is shared), then the valid key during it.
        await new Promise((r) => setTimeout(r, 1000));
        const aloneBefore = await cpuMs(g.pid);
        const aloneStart = performance.now();
        await new Promise((r) => setTimeout(r, FLOOD_ALONE_S * 1000));
        const floodAloneCpu = ((await cpuMs(g.pid)) - aloneBefore) / (performance.now() - aloneStart);
        runs[name].loud.push(await validLoad(g.url));
        const fl = await flooding;
        const seconds = DURATION + FLOOD_ALONE_S + 2;
        runs[name].flood.push({
          rps: fl.requests.total / seconds,
          statuses: Object.fromEntries(
            Object.entries(fl.statusCodeStats ?? {}).map(([code, st]) => [code, st.count]),
          ),
          errors: fl.errors + fl.timeouts,
          argon2PerS: ((await argon2Calls(g.url)) - argon2Before) / seconds,
          floodAloneCpu,
        });
      }
    }
  } finally {
    controlPlane.proc.kill('SIGCONT');
    for (const g of Object.values(started)) await g.stop();
  }
  return runs;
}

const median = (xs) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

function printFlood(runs) {
  const f = (n, d = 2) => n.toFixed(d);
  console.log(
    `\nfailed key checks: valid key (cached), plain calls: p50/p99 on 1 connection, throughput on ${VALID_CONNECTIONS}` +
      ` connections (${DURATION / 2}s each); flood of` +
      ` well-formed wrong secrets at ${FLOOD_RATE} req/s (${FLOOD_CONNECTIONS} connections, ${BULK_KEYS} key ids, one` +
      ` address each, IPv4 + IPv6 /64s); medians of ${FLOOD_ROUNDS} rounds, each a run without then a run during the` +
      " flood (the ratios are the medians of the rounds' ratios)",
  );
  console.log(
    [
      'gateway',
      'valid, no flood',
      'valid during flood',
      'during / no flood',
      'argon2/s',
      'CPU of flood alone',
      'flood answers/s',
    ]
      .map((s) => s.padEnd(26))
      .join(''),
  );
  for (const [name, r] of Object.entries(runs)) {
    const m = (xs, k) => median(xs.map((x) => x[k]));
    const quiet = { rps: m(r.quiet, 'rps'), p50: m(r.quiet, 'p50'), p99: m(r.quiet, 'p99') };
    const loud = { rps: m(r.loud, 'rps'), p50: m(r.loud, 'p50'), p99: m(r.loud, 'p99') };
    const seconds = (DURATION + FLOOD_ALONE_S + 2) * r.flood.length;
    const totals = {};
    for (const fl of r.flood)
      for (const [code, n] of Object.entries(fl.statuses)) totals[code] = (totals[code] ?? 0) + n;
    const answers = Object.entries(totals)
      .map(([code, n]) => `${code}: ${f(n / seconds, 0)}`)
      .join(', ');
    const errors = r.flood.reduce((n, fl) => n + fl.errors, 0);
    const cell = (v) => `${f(v.rps, 0)} rps, p50 ${f(v.p50)} ms`;
    console.log(
      [
        name,
        cell(quiet),
        cell(loud),
        `rps ${f(median(r.loud.map((v, i) => v.rps / r.quiet[i].rps)))}×, p50 ${f(median(r.loud.map((v, i) => v.p50 / r.quiet[i].p50)))}×`,
        f(m(r.flood, 'argon2PerS'), 1),
        `${f(m(r.flood, 'floodAloneCpu') * 100, 0)}% of a core`,
        `${answers}${errors ? ` (${errors} errors)` : ''}`,
      ]
        .map((s) => s.padEnd(26))
        .join(''),
    );
    const failed = [...r.quiet, ...r.loud].reduce((n, v) => n + v.failed, 0);
    console.log(
      `  ${name}: p99 ${f(quiet.p99)} ms without, ${f(loud.p99)} ms during the flood; per round (rps / p50 ms, no flood → flood): ` +
        r.quiet
          .map((q, i) => `${f(q.rps, 0)}/${f(q.p50)} → ${f(r.loud[i].rps, 0)}/${f(r.loud[i].p50)}`)
          .join('; ') +
        (failed ? `; ${failed} valid-key requests not answered 200` : ''),
    );
  }
}

const call = (base, method, p, token, body) => controlPlaneApi(base)(method, p, token, body);

const gatewayToken = (cpUrl, org, token, name) =>
  call(cpUrl, 'POST', `/orgs/${org}/gateway-tokens`, token, { name });

try {
  await main();
} finally {
  // A process paused by the overhead run (if it failed there) must resume to hear SIGTERM.
  for (const p of procs) p.proc.kill('SIGCONT');
  for (const p of procs.reverse()) await p.stop().catch(() => undefined);
  execFileSync('dropdb', [...pg, '--force', '--if-exists', db]);
  for (const d of stateDirs) rmSync(d, { recursive: true, force: true });
}
