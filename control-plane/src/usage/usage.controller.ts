import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  type KeyRequestsQuery,
  KeyRequestsQuerySchema,
  type UsageQuery,
  UsageQuerySchema,
} from '@portcullis/shared/api/queries';
import { Caller } from '../common/decorators/auth.decorators';
import type { OrgCaller } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { UsageService } from './usage.service';

@ApiTags('usage')
@Controller('orgs/:org')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get('keys/:id/requests')
  @ApiOperation({
    summary: "A key's usage history, newest first (members: their own keys; deleted keys keep theirs)",
  })
  @ApiQuery({ name: 'from', required: false, description: 'ISO-8601, inclusive' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO-8601, exclusive' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  keyRequests(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Query(new ZodPipe(KeyRequestsQuerySchema, 'query')) q: KeyRequestsQuery,
  ) {
    return this.usage.keyRequests(caller, id, q);
  }

  @Get('usage')
  @ApiOperation({
    summary:
      'Usage rollups per hour or day with totals and breakdowns by key, user and model (members: their own)',
  })
  @ApiQuery({ name: 'keyId', required: false })
  @ApiQuery({ name: 'userId', required: false })
  @ApiQuery({ name: 'groupId', required: false })
  @ApiQuery({ name: 'model', required: false })
  @ApiQuery({
    name: 'from',
    required: false,
    description: 'ISO-8601; default: to − 24 h (hour), − 30 d (day)',
  })
  @ApiQuery({ name: 'to', required: false, description: 'ISO-8601; default: now' })
  @ApiQuery({ name: 'bucket', required: false, enum: ['hour', 'day'] })
  report(@Caller() caller: OrgCaller, @Query(new ZodPipe(UsageQuerySchema, 'query')) q: UsageQuery) {
    return this.usage.report(caller, q);
  }
}
