import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { JobsService } from '../jobs/jobs.service';
import { WINDOW_SECONDS } from './login-throttle';

export const AUTH_QUEUE = 'auth';

/**
 * Every AUTH_PRUNE_INTERVAL_MS (one control plane at a time): expired sessions, sign-in attempts older
 * than LOGIN_ATTEMPTS_RETENTION_DAYS and throttle counters whose window has passed are deleted.
 * Idempotent: a run that is repeated or cut short leaves nothing wrong.
 */
@Injectable()
export class AuthPruneService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobsService,
  ) {}

  onModuleInit(): void {
    this.jobs.every(AUTH_QUEUE, 'prune', this.config.AUTH_PRUNE_INTERVAL_MS, () => this.prune());
  }

  async prune(): Promise<{ sessions: number; attempts: number; counters: number }> {
    const count = async (del: string, params: unknown[]) => {
      const rows: { n: number }[] = await this.db.query(
        `WITH gone AS (${del} RETURNING 1) SELECT count(*)::int AS n FROM gone`,
        params,
      );
      return rows[0]?.n ?? 0;
    };
    return {
      sessions: await count('DELETE FROM sessions WHERE expires_at <= now()', []),
      attempts: await count(
        'DELETE FROM login_attempts WHERE created_at < now() - make_interval(days => $1)',
        [this.config.LOGIN_ATTEMPTS_RETENTION_DAYS],
      ),
      counters: await count(
        'DELETE FROM login_counters WHERE window_started_at <= now() - make_interval(secs => $1)',
        [WINDOW_SECONDS],
      ),
    };
  }
}
