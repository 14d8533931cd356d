// The dashboard's HTTP server: Next.js behind a few lines that decide who the client is.
//
// Next's own server keeps a client-sent X-Forwarded-For as it is, and route handlers never see the
// socket, so the /api proxy could only repeat what the browser claimed. Here, before Next sees the
// request, the client address is resolved from the socket (and from X-Forwarded-For only when the
// socket peer is one of TRUSTED_PROXIES, e.g. an ingress) and written to `x-portcullis-client-address`,
// replacing anything the client sent under that name; the proxy forwards that and nothing else.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import next from 'next';

const require = createRequire(import.meta.url);
const { compileAllowlist, parseCidr, resolveClientAddress } = require('@portcullis/shared/cidr');

// Also named in lib/server/proxy.ts, which forwards it.
const CLIENT_ADDRESS_HEADER = 'x-portcullis-client-address';

const fail = (sentence) => {
  process.stderr.write(`Portcullis dashboard cannot start: ${sentence}\n`);
  process.exit(1);
};

const port = Number(process.env.PORT || 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail('setting PORT must be a port number.');

const trustedEntries = (process.env.TRUSTED_PROXIES ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const entry of trustedEntries) {
  const parsed = parseCidr(entry);
  if (!parsed.ok) fail(`setting TRUSTED_PROXIES has an invalid entry "${entry}": ${parsed.error}.`);
}
const isTrusted = trustedEntries.length > 0 ? compileAllowlist(trustedEntries) : null;

const dir = path.dirname(fileURLToPath(import.meta.url));
const app = next({ dev: false, dir, port });
await app.prepare();
const handle = app.getRequestHandler();

const server = createServer((req, res) => {
  const client = resolveClientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], isTrusted);
  req.headers[CLIENT_ADDRESS_HEADER] = client;
  // Next fills X-Forwarded-For only when absent; what the client wrote there is not evidence of anything.
  req.headers['x-forwarded-for'] = client;
  void handle(req, res);
});
server.listen(port, '0.0.0.0', () => {
  process.stdout.write(`Portcullis dashboard listening on :${port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
