import { startFakeUpstream } from './server';

// Standalone fake provider (and MCP server at /mcp, /mcp-sse) for the local demo and benchmarks:
// `node testing/dist/fake-upstream/main.js`.
const port = Number(process.env.PORT ?? 9090);
startFakeUpstream({ latencyMs: Number(process.env.FAKE_LATENCY_MS ?? 0), record: false }, port).then(
  (upstream) =>
    console.log(
      `Portcullis fake upstream (OpenAI, Anthropic, Azure OpenAI and Gemini wire formats) listening on ${upstream.url}`,
    ),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
