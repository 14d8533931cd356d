#!/usr/bin/env node
// What reading usage from a stream costs per chunk, and what hiding the usage the gateway asked for adds:
// the gateway's SseUsageReader over an OpenAI-format stream of 12 content chunks, in one process (pure
// CPU, so a busy machine blurs it far less than a load test). Needs `pnpm --dir gateway build`.
// Usage: node bench/sse-reader.mjs [streams]
import path from 'node:path';
import { root } from './lib.mjs';

const { SseUsageReader } = await import(path.join(root, 'gateway/dist/upstream/sse.js'));
const { newUsage } = await import(path.join(root, 'gateway/dist/providers/usage.js'));

const STREAMS = Number(process.argv[2] ?? 20_000);
const enc = new TextEncoder();
const chunk = (i, withNull) =>
  enc.encode(
    `data: {"id":"chatcmpl-AbCdEf0123456789","object":"chat.completion.chunk","created":1765000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0123456789","choices":[{"index":0,"delta":{"content":" word${i}"},"logprobs":null,"finish_reason":null}]${withNull ? ',"usage":null' : ''}}\n\n`,
  );
const usage = enc.encode(
  'data: {"id":"chatcmpl-AbCdEf0123456789","object":"chat.completion.chunk","created":1765000000,"model":"gpt-4o-mini-2024-07-18","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":12,"total_tokens":24,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}\n\n',
);
const done = enc.encode('data: [DONE]\n\n');
const stream = (asked) => [
  ...Array.from({ length: 12 }, (_, i) => chunk(i, asked)),
  ...(asked ? [usage] : []),
  done,
];

const cases = {
  'plain stream (no usage asked), read': { chunks: stream(false), hide: false },
  'usage asked by the client, read': { chunks: stream(true), hide: false },
  'usage asked by the gateway, read and hidden': { chunks: stream(true), hide: true },
};

function measure({ chunks, hide }) {
  const t0 = process.cpuUsage();
  let sent = 0;
  for (let s = 0; s < STREAMS; s++) {
    const reader = new SseUsageReader(newUsage(), hide);
    for (const c of chunks) sent += reader.push(c)?.byteLength ?? 0;
    reader.end();
  }
  const t = process.cpuUsage(t0);
  return { usPerStream: (t.user + t.system) / STREAMS, sent: sent / STREAMS };
}

for (const c of Object.values(cases)) measure({ ...c }); // warm-up (JIT)
const results = {};
for (let round = 0; round < 3; round++)
  for (const [name, c] of Object.entries(cases)) {
    const r = measure(c);
    if (!results[name] || r.usPerStream < results[name].usPerStream) results[name] = r;
  }
const base = results['plain stream (no usage asked), read'].usPerStream;
console.log(`SSE usage reading, ${STREAMS} streams of 12 content chunks, best of 3 rounds (CPU time)`);
for (const [name, r] of Object.entries(results))
  console.log(
    `  ${name.padEnd(46)} ${r.usPerStream.toFixed(2).padStart(7)} µs/stream  ${(r.usPerStream / base).toFixed(2)}×  (${r.sent.toFixed(0)} bytes to the client)`,
  );
