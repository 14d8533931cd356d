import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../common/decorators/auth.decorators';
import { DomainError } from '../common/errors/domain-error';

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Public()
  @Get('healthz')
  @ApiOperation({ summary: 'Liveness and database reachability' })
  async health() {
    try {
      await this.db.query('SELECT 1');
    } catch {
      throw new DomainError('internal_error', 'The database is unreachable');
    }
    return { status: 'ok' };
  }
}
