import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { execute, query, sql } from '../database/sql';
import { JobsService } from '../jobs/jobs.service';
import { USAGE_INGEST_LOCK } from './usage-writer';

/** The BullMQ queue of usage housekeeping (rollups, retention); the key expiry sweep (keys/) runs on it too. */
export const USAGE_QUEUE = 'usage';

/** Raw rows folded into rollups per transaction. */
const ROLLUP_CHUNK = 20_000;
/** Raw rows deleted per statement by retention. */
const RETENTION_CHUNK = 10_000;
/**
 * The repeatable jobs behind usage: rollups (raw rows → hour/day rollups past a watermark) and retention
 * (raw rows older than USAGE_RETENTION_DAYS and already rolled up are deleted; rollups stay). Each is
 * idempotent: a job run twice, or by two control planes at once, changes nothing more.
 */
@Injectable()
export class UsageJobs implements OnModuleInit {
  private readonly logger = new Logger('UsageJobs');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly jobs: JobsService,
  ) {}

  onModuleInit(): void {
    this.jobs.every(USAGE_QUEUE, 'rollups', this.config.USAGE_ROLLUP_INTERVAL_MS, () => this.rollup());
    this.jobs.every(USAGE_QUEUE, 'retention', this.config.USAGE_RETENTION_INTERVAL_MS, () =>
      this.retention(),
    );
  }

  /** Folds every committed raw row past the watermark into the rollups; returns how many rows. */
  async rollup(): Promise<number> {
    // Under the exclusive ingest lock, no batch is between taking a seq and committing: every seq up
    // to `high` is final, so the watermark can move to it without skipping a late commit.
    const high = await this.db.transaction(async (em) => {
      await query(em, sql`SELECT pg_advisory_xact_lock(${USAGE_INGEST_LOCK})`);
      const rows: { high: string | null }[] = await query(
        em,
        sql`SELECT max(seq)::text AS high FROM usage_requests`,
      );
      return BigInt(rows[0]?.high ?? '0');
    });
    let total = 0;
    for (;;) {
      const done = await this.db.transaction(async (em) => {
        // The row lock serializes rollup runs (two control planes, a slow run and the next).
        const state: { value: string }[] = await query(
          em,
          sql`SELECT value::text FROM usage_state WHERE name = 'rollup_seq' FOR UPDATE`,
        );
        const low = BigInt(state[0]?.value ?? '0');
        if (low >= high) return null;
        const upTo = low + BigInt(ROLLUP_CHUNK) < high ? low + BigInt(ROLLUP_CHUNK) : high;
        const counted: { n: string }[] = await query(
          em,
          sql`WITH src AS (
             SELECT r.*, g.granularity
               FROM usage_requests r CROSS JOIN (VALUES ('hour'), ('day')) AS g(granularity)
              WHERE r.seq > ${low.toString()} AND r.seq <= ${upTo.toString()}
           ), ins AS (
             INSERT INTO usage_rollups AS u (granularity, bucket_start, org_id, key_id, user_id, model,
                 requests, errors, input_tokens, output_tokens, cost_micro)
             SELECT granularity, date_trunc(granularity, time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
                    org_id, key_id, (array_agg(user_id ORDER BY seq DESC))[1], coalesce(model, ''),
                    count(*), count(*) FILTER (WHERE status >= 400), sum(input_tokens),
                    sum(output_tokens), sum(cost_micro)
               FROM src
              GROUP BY granularity, 2, org_id, key_id, coalesce(model, '')
             ON CONFLICT (granularity, bucket_start, org_id, key_id, model) DO UPDATE
               SET requests = u.requests + EXCLUDED.requests,
                   errors = u.errors + EXCLUDED.errors,
                   input_tokens = u.input_tokens + EXCLUDED.input_tokens,
                   output_tokens = u.output_tokens + EXCLUDED.output_tokens,
                   cost_micro = u.cost_micro + EXCLUDED.cost_micro,
                   user_id = EXCLUDED.user_id
             RETURNING 1
           )
           SELECT count(*)::text AS n FROM src WHERE granularity = 'hour'`,
        );
        await execute(em, sql`UPDATE usage_state SET value = ${upTo.toString()} WHERE name = 'rollup_seq'`);
        return Number(counted[0]?.n ?? 0);
      });
      if (done === null) break;
      total += done;
    }
    return total;
  }

  /** Deletes raw rows past retention that are already rolled up; returns how many. */
  async retention(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows: { n: string }[] = await query(
        this.db,
        sql`WITH victims AS (
           SELECT id FROM usage_requests
            WHERE time < now() - make_interval(days => ${this.config.USAGE_RETENTION_DAYS})
              AND seq <= (SELECT value FROM usage_state WHERE name = 'rollup_seq')
            LIMIT ${RETENTION_CHUNK}
         ), gone AS (
           DELETE FROM usage_requests r USING victims v WHERE r.id = v.id RETURNING 1
         ) SELECT count(*)::text AS n FROM gone`,
      );
      const n = Number(rows[0]?.n ?? 0);
      total += n;
      if (n < RETENTION_CHUNK) break;
    }
    if (total > 0) this.logger.log(`retention deleted ${total} request rows`);
    return total;
  }
}
