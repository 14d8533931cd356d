import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config';

function describeRedis(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

/**
 * The control plane's Redis connection. Redis being down never blocks or crashes an API call: there
 * is no offline queue (a command while disconnected fails at once), commands time out, and ioredis
 * keeps reconnecting in the background. One log line when it goes down, one when it is back.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis;
  private up = false;
  private reportedDown = false;
  private closing = false;
  private readonly where: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.where = describeRedis(config.REDIS_URL);
    this.client = new Redis(config.REDIS_URL, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    });
    this.client.on('ready', () => {
      this.up = true;
      if (this.reportedDown) this.logger.warn(`Redis at ${this.where} is reachable again`);
      this.reportedDown = false;
    });
    const down = (reason: string) => {
      this.up = false;
      if (this.closing || this.reportedDown) return;
      this.reportedDown = true;
      this.logger.warn(
        `Redis at ${this.where} is unreachable (${reason}); snapshot deltas wait in the outbox until it is back`,
      );
    };
    this.client.on('error', (err: Error) => down(err.message));
    this.client.on('close', () => down('connection closed'));
  }

  /** Starts connecting (and reconnecting, for ever) in the background. */
  start(): void {
    this.client.connect().catch(() => undefined);
  }

  get isUp(): boolean {
    return this.up;
  }

  onApplicationShutdown(): void {
    this.closing = true;
    this.client.disconnect();
  }
}
