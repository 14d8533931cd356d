import { createServer, type Server } from 'node:http';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ControlPlaneErrorBody } from '@portcullis/shared/errors';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { UsageStats } from '../usage/usage-stats';
import { healthReport } from './health.controller';

/**
 * The operations port (`OPS_PORT`): `/metrics` and `/healthz` and nothing else, so an operator can keep
 * metrics off the public network (the public port then 404s `/metrics`). A plain HTTP server: no
 * session, no body parsing, no route of the API can be reached through it.
 */
@Injectable()
export class OpsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly usage: UsageStats,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.OPS_PORT;
    if (port === undefined) return;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const json = (status: number, body: unknown) => {
        res.writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
        });
        res.end(JSON.stringify(body));
      };
      const error = (status: number, code: ControlPlaneErrorBody['error']['code'], message: string) =>
        json(status, { error: { code, message } } satisfies ControlPlaneErrorBody);
      if (req.method !== 'GET' && req.method !== 'HEAD') return error(404, 'not_found', 'No such route');
      if (path === '/metrics') {
        res.writeHead(200, {
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
          'cache-control': 'no-store',
        });
        res.end(this.usage.prometheus());
        return;
      }
      if (path === '/healthz') {
        healthReport(this.db, this.usage).then(
          (report) => json(200, report),
          (err: unknown) =>
            err instanceof DomainError
              ? error(err.status, err.code, err.message)
              : error(500, 'internal_error', 'Something went wrong on our side'),
        );
        return;
      }
      error(404, 'not_found', 'No such route');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    process.stdout.write(`Portcullis control plane operations on :${port} (/healthz, /metrics)\n`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}
