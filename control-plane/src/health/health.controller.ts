import { Controller, Get, Header, Inject, NotFoundException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Health } from '@portcullis/shared/usage';
import { DataSource } from 'typeorm';
import { Public } from '../common/decorators/auth.decorators';
import { DomainError } from '../common/errors/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { query, sql } from '../database/sql';
import { UsageStats } from '../usage/usage-stats';

/** Liveness with the database's reachability and the state of usage ingestion (both ports). */
export async function healthReport(db: DataSource, usage: UsageStats): Promise<Health> {
  try {
    await query(db, sql`SELECT 1`);
  } catch {
    throw new DomainError('internal_error', 'The database is unreachable');
  }
  return { status: 'ok', usage: usage.health() };
}

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly usage: UsageStats,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @Get('healthz')
  @ApiOperation({
    summary: 'Liveness and database reachability',
    description:
      "Also reports usage ingestion: `usage.ingestion` (running or paused), this process's counters " +
      '(`usage.consumer`) and the dead-letter counts of every control plane by reason class ' +
      '(`usage.deadLetter`).',
  })
  health(): Promise<Health> {
    return healthReport(this.db, this.usage);
  }

  @Public()
  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics: usage ingestion counters (only on OPS_PORT when that is set: 404 here)',
  })
  metrics(): string {
    // Answered as any unknown route is, so the public port does not even tell that metrics exist.
    if (this.config.OPS_PORT !== undefined) throw new NotFoundException();
    return this.usage.prometheus();
  }
}
