import 'reflect-metadata';
import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import type { NextFunction, Request, Response } from 'express';
import { Client } from 'pg';
import { AppModule } from './app.module';
import { jsonBody, jsonBodyErrors } from './common/json-body';
import { applyRouteTable } from './common/openapi';
import { requestLog } from './common/request-log';
import { securityHeaders } from './common/security-headers';
import { type AppConfig, ConfigError, describeDatabase, loadConfig } from './config/config';

function fail(sentence: string): never {
  process.stderr.write(`Portcullis control plane cannot start: ${sentence}\n`);
  process.exit(1);
}

/** Checks the database before Nest starts, so an outage is one clear sentence instead of a stack trace. */
async function assertDatabaseReachable(config: AppConfig): Promise<void> {
  const client = new Client({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    const reason =
      err instanceof Error ? err.message.replace(config.DATABASE_URL, '(DATABASE_URL)') : String(err);
    fail(`the database at ${describeDatabase(config.DATABASE_URL)} is unreachable (${reason}).`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(`${err.message}.`);
    throw err;
  }
  await assertDatabaseReachable(config);

  // Nest's own start-up chatter (route maps) stays out of the log; warnings and errors stay in.
  const logLevels: LogLevel[] = ['warn', 'error'];
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: logLevels,
    bodyParser: false,
  });
  // Express takes the right-most X-Forwarded-For hop that is not a trusted proxy; with none, the socket peer.
  app.set('trust proxy', config.TRUSTED_PROXIES.length > 0 ? config.TRUSTED_PROXIES : false);
  app.disable('x-powered-by');
  app.use(jsonBody(), jsonBodyErrors);
  app.use(requestLog());
  app.use(securityHeaders());
  app.use(cookieParser());
  app.setGlobalPrefix('api/v1', { exclude: ['healthz', 'metrics'] });
  app.enableShutdownHooks();

  const document = applyRouteTable(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder().setTitle('Portcullis control plane').setVersion('1').build(),
    ),
  );
  app.use('/api/openapi.json', (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET') res.json(document);
    else next();
  });

  await app.listen(config.PORT, '0.0.0.0');
  process.stdout.write(`Portcullis control plane listening on :${config.PORT}\n`);
}

main().catch((err: unknown) => {
  fail(err instanceof Error ? err.message : String(err));
});
