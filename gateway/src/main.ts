import { serve } from '@hono/node-server';
import { buildApp } from './app.js';
import { loadEnv } from './env.js';

const env = loadEnv();
const app = buildApp({ snapshotVersion: () => null });
const server = serve({ fetch: app.fetch, port: env.PORT }, (info) => {
  console.log(`Portcullis gateway listening on :${info.port}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
