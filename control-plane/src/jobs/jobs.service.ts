import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { type Job, Queue, Worker, type WorkerOptions } from 'bullmq';
import type Redis from 'ioredis';
import { settleWithin } from '../common/deadline';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { createJobsConnection, jobsPrefix } from './jobs.connection';

export type JobHandler = (job: Job) => Promise<unknown>;

interface Schedule {
  queue: string;
  name: string;
  everyMs: number;
}

/** How long shutdown waits for running jobs before closing their workers by force. */
const CLOSE_GRACE_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * BullMQ for the control plane: one Redis connection per process, queues created on demand, workers
 * and repeatable jobs registered by services during module init and started once the application
 * has booted. Repeatable jobs are BullMQ job schedulers (upserted by id, so a restart or several
 * control planes keep exactly one schedule each); the work they trigger must be idempotent.
 * On shutdown (SIGTERM through Nest's shutdown hooks) workers finish their current job first.
 */
@Injectable()
export class JobsService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private conn: Redis | null = null;
  private readonly queues = new Map<string, Queue>();
  private readonly handlers = new Map<string, Map<string, JobHandler>>();
  private readonly processors = new Map<string, { fn: JobHandler; opts: Partial<WorkerOptions> }>();
  private readonly schedules: Schedule[] = [];
  private readonly workers: Worker[] = [];
  private started = false;
  private closing = false;
  private redisDown = false;
  private upserting = false;

  /** See `jobsPrefix`: queues are per database. */
  readonly prefix: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.prefix = jobsPrefix(config.DATABASE_URL);
  }

  /** The process's BullMQ connection (created on first use). */
  connection(): Redis {
    if (!this.conn) {
      const conn = createJobsConnection(this.config.REDIS_URL);
      conn.on('error', (err: Error) => this.down(err.message));
      conn.on('ready', () => {
        if (this.redisDown) this.logger.warn('Redis is reachable again; jobs resume');
        this.redisDown = false;
        // A Redis that lost its data (restarted without persistence) lost the schedules too.
        if (this.started && this.schedules.length > 0) void this.upsertSchedules();
      });
      this.conn = conn;
    }
    return this.conn;
  }

  /** A queue by name (created on first use; closed on shutdown). */
  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection(), prefix: this.prefix });
      q.on('error', (err: Error) => this.down(err.message));
      this.queues.set(name, q);
    }
    return q;
  }

  /**
   * Runs `handler` every `everyMs` on one control plane at a time (whichever worker takes the job).
   * Call during module init; jobs of one queue run one at a time per process.
   */
  every(queue: string, name: string, everyMs: number, handler: JobHandler): void {
    if (this.processors.has(queue)) throw new Error(`jobs: queue ${queue} already has a custom processor`);
    if (this.started) throw new Error('jobs: register schedules during module init');
    let byName = this.handlers.get(queue);
    if (!byName) {
      byName = new Map();
      this.handlers.set(queue, byName);
    }
    byName.set(name, handler);
    this.schedules.push({ queue, name, everyMs });
  }

  /** A worker with its own processor for `queue` (e.g. webhook deliveries), started at bootstrap. */
  process(queue: string, fn: JobHandler, opts: Partial<WorkerOptions> = {}): void {
    if (this.handlers.has(queue) || this.processors.has(queue)) {
      throw new Error(`jobs: queue ${queue} already has a processor`);
    }
    this.processors.set(queue, { fn, opts });
    if (this.started) this.startWorker(queue, fn, opts);
  }

  onApplicationBootstrap(): void {
    this.started = true;
    for (const [queue, byName] of this.handlers) {
      this.startWorker(queue, async (job) => {
        const handler = byName.get(job.name);
        if (!handler) throw new Error(`no handler for job ${job.name}`);
        return handler(job);
      });
    }
    for (const [queue, p] of this.processors) this.startWorker(queue, p.fn, p.opts);
    if (this.schedules.length > 0) void this.upsertSchedules();
  }

  private startWorker(queue: string, fn: JobHandler, opts: Partial<WorkerOptions> = {}): void {
    const worker = new Worker(queue, fn, {
      connection: this.connection(),
      prefix: this.prefix,
      concurrency: 1,
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 500 },
      ...opts,
    });
    worker.on('error', (err: Error) => this.down(err.message));
    worker.on('failed', (job, err) => {
      this.logger.error(`job ${queue}/${job?.name ?? '?'} failed: ${err.message}`);
    });
    this.workers.push(worker);
  }

  /** Schedules live in Redis: upserting them is idempotent, and retried until Redis answers. */
  private async upsertSchedules(): Promise<void> {
    if (this.upserting) return;
    this.upserting = true;
    try {
      await this.upsertAll();
    } finally {
      this.upserting = false;
    }
  }

  private async upsertAll(): Promise<void> {
    let delay = 200;
    const pending = [...this.schedules];
    while (pending.length > 0 && !this.closing) {
      const s = pending[0] as Schedule;
      try {
        await this.queue(s.queue).upsertJobScheduler(
          s.name,
          { every: s.everyMs },
          { name: s.name, data: {}, opts: { removeOnComplete: { count: 20 }, removeOnFail: { count: 100 } } },
        );
        pending.shift();
        delay = 200;
      } catch (err) {
        this.down((err as Error).message);
        await sleep(delay);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private down(reason: string): void {
    if (this.closing || this.redisDown) return;
    this.redisDown = true;
    this.logger.warn(`Redis is unreachable for jobs (${reason}); they resume when it is back`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    // With Redis down nothing can finish gracefully, and even a forced close may wait for it.
    const grace = this.redisDown ? 0 : CLOSE_GRACE_MS;
    await Promise.all(
      this.workers.map(async (w) => {
        if (
          (await settleWithin(
            w.close().then(() => true),
            grace,
          )) === undefined
        )
          await settleWithin(w.close(true), 1000);
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    // Queue.close waits for Redis; with Redis down that is forever.
    await settleWithin(
      Promise.all([...this.queues.values()].map((q) => q.close())),
      this.redisDown ? 1000 : CLOSE_GRACE_MS,
    );
    this.conn?.disconnect();
  }
}
