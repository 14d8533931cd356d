import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { EmailSchema } from '@portcullis/shared/auth';
import { DataSource } from 'typeorm';
import { AccountsService } from '../auth/accounts.service';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { query, sql } from '../database/sql';
import { OrgsService } from '../orgs/orgs.service';

const BOOTSTRAP_LOCK = 0x50_43_4c_42; // 'PCLB'

/**
 * First start only: with BOOTSTRAP_* set, creates one organization and its admin. A marker row in
 * system_state makes every later start (and concurrent starts, under an advisory lock) a no-op.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: AccountsService,
    private readonly orgs: OrgsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const {
      BOOTSTRAP_ADMIN_EMAIL: rawEmail,
      BOOTSTRAP_ADMIN_PASSWORD: password,
      BOOTSTRAP_ORG_NAME: orgName,
    } = this.config;
    if (!rawEmail || !password || !orgName) return;
    const email = EmailSchema.parse(rawEmail);
    await this.db.transaction(async (em) => {
      await query(em, sql`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`);
      const done: unknown[] = await query(em, sql`SELECT 1 FROM system_state WHERE key = 'bootstrap'`);
      if (done.length > 0) return;
      const user =
        (await this.users.findByEmailWithHash(email, em)) ??
        (await this.users.create(em, { email, name: email.split('@')[0] ?? email, password }));
      const org = await this.orgs.create(em, orgName, user.id, { type: 'system', userId: null, ip: null });
      await query(
        em,
        sql`INSERT INTO system_state (key, value) VALUES ('bootstrap',
            ${JSON.stringify({ orgId: org.id, adminUserId: user.id, at: new Date().toISOString() })})`,
      );
      this.logger.warn(`Created organization "${orgName}" with admin ${email}`);
    });
  }
}
