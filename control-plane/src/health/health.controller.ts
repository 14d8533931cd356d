import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../common/decorators/auth.decorators';
import { DomainError } from '../common/errors/domain-error';
import { type UsageHealth, UsageStats } from '../usage/usage-stats';

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly usage: UsageStats,
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
  async health(): Promise<{ status: 'ok'; usage: UsageHealth }> {
    try {
      await this.db.query('SELECT 1');
    } catch {
      throw new DomainError('internal_error', 'The database is unreachable');
    }
    return { status: 'ok', usage: this.usage.health() };
  }

  @Public()
  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics: usage ingestion counters' })
  metrics(): string {
    return this.usage.prometheus();
  }
}
