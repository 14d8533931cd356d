import { createHash } from 'node:crypto';
import Redis, { type RedisOptions } from 'ioredis';

/**
 * Key prefix of the control plane's BullMQ queues: `portcullis:jobs:<8 hex>`, the hex naming the
 * database (a digest of its host, port and name, not the name itself). Control planes sharing a
 * database share queues, as they must (a job is work on that database); two installations that share
 * a Redis but not a database (test runs, staging next to production) never take each other's jobs.
 */
export function jobsPrefix(databaseUrl: string): string {
  let where = databaseUrl;
  try {
    const u = new URL(databaseUrl);
    where = `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    // Unparseable: the whole setting is digested instead.
  }
  return `portcullis:jobs:${createHash('sha256').update(where).digest('hex').slice(0, 8)}`;
}

/**
 * A Redis connection for BullMQ queues and workers, from `REDIS_URL`. BullMQ wants
 * `maxRetriesPerRequest: null` (a worker's blocking commands wait through an outage instead of
 * failing); reconnection is quick and capped so jobs resume within about two seconds of Redis
 * coming back. Share one per process between queues (`Queue`, `Worker` take it as `connection`;
 * workers duplicate it for their blocking reads) and close it last.
 */
export function createJobsConnection(redisUrl: string, options: RedisOptions = {}): Redis {
  return new Redis(redisUrl, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    ...options,
  });
}
