import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Caller } from '../common/decorators/auth.decorators';
import { DomainError } from '../common/errors/domain-error';
import { CursorParam, LimitParam } from '../common/list-query';
import type { OrgCaller } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { UsersService } from './users.service';

const UsersQuerySchema = z.strictObject({
  search: z.string().max(200, 'must be at most 200 characters').optional(),
  limit: LimitParam,
  cursor: CursorParam,
});

@ApiTags('users')
@Controller('orgs/:org/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'Members of the organization (admins), searchable by name or email' })
  @ApiQuery({ name: 'search', required: false })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  list(
    @Caller() caller: OrgCaller,
    @Query(new ZodPipe(UsersQuerySchema, 'query')) q: z.output<typeof UsersQuerySchema>,
  ) {
    if (caller.org.role !== 'admin')
      throw new DomainError('forbidden', 'Only organization admins may list users');
    return this.users.listInOrg(caller.org.orgId, q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One member (admins, or the user themself)' })
  get(@Caller() caller: OrgCaller, @Param('id') id: string) {
    if (caller.org.role !== 'admin' && id !== caller.actor.userId) {
      throw new DomainError('forbidden', 'Members may only look at themselves');
    }
    return this.users.getInOrg(caller.org.orgId, id);
  }
}
