import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { execute, type Sql, sql } from '../database/sql';
import { JobsService } from '../jobs/jobs.service';
import { WINDOW_SECONDS } from './login-throttle';

/** The BullMQ queue of sign-in housekeeping. */
export const AUTH_MAINTENANCE_QUEUE = 'auth-maintenance';

/** Rows deleted per statement, so one run never holds a long lock on a table sign-in writes to. */
const PRUNE_CHUNK = 5_000;

/**
 * Deletes what sign-in leaves behind once it can no longer matter: sessions past their expiry (never
 * accepted again: `SessionsService.resolve` wants `expires_at > now()`) and sign-in attempts older than
 * LOGIN_ATTEMPT_RETENTION_DAYS (the throttle looks back minutes, not days). Each holds a user's
 * address and user agent, so neither is kept longer than it is useful. Throttle counters whose window
 * has passed go too (the next attempt starts a new window anyway). Only touches rows by time:
 * idempotent, safe to run on several control planes at once.
 */
@Injectable()
export class AuthPruning implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly jobs: JobsService,
  ) {}

  onModuleInit(): void {
    this.jobs.every(AUTH_MAINTENANCE_QUEUE, 'prune', this.config.AUTH_PRUNE_INTERVAL_MS, () => this.prune());
  }

  /** One pruning pass; returns how many rows of each kind went. */
  async prune(): Promise<{ sessions: number; loginAttempts: number; loginCounters: number }> {
    const sessions = await this.deleteInChunks(
      sql`DELETE FROM sessions WHERE id IN (SELECT id FROM sessions
          WHERE expires_at <= now() LIMIT ${PRUNE_CHUNK})`,
    );
    const loginAttempts = await this.deleteInChunks(
      sql`DELETE FROM login_attempts WHERE id IN (
            SELECT id FROM login_attempts
             WHERE created_at < now() - make_interval(days => ${this.config.LOGIN_ATTEMPT_RETENTION_DAYS})
             LIMIT ${PRUNE_CHUNK})`,
    );
    const loginCounters = await this.deleteInChunks(
      sql`DELETE FROM login_counters WHERE subject IN (
            SELECT subject FROM login_counters
             WHERE window_started_at <= now() - make_interval(secs => ${WINDOW_SECONDS})
             LIMIT ${PRUNE_CHUNK})`,
    );
    return { sessions, loginAttempts, loginCounters };
  }

  private async deleteInChunks(statement: Sql): Promise<number> {
    let total = 0;
    for (;;) {
      const { affected } = await execute(this.db, statement);
      total += affected;
      if (affected < PRUNE_CHUNK) return total;
    }
  }
}
