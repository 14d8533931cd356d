import { startFakeUpstream } from './server.js';

// Standalone fake provider (and MCP server at /mcp, /mcp-sse) for the local demo and benchmarks: `node dist/fake-upstream/main.js`.
const port = Number(process.env.PORT ?? 9090);
const upstream = await startFakeUpstream(
  { latencyMs: Number(process.env.FAKE_LATENCY_MS ?? 0), record: false },
  port,
);
console.log(
  `Portcullis fake upstream (OpenAI, Anthropic, Azure OpenAI and Gemini wire formats) listening on ${upstream.url}`,
);
