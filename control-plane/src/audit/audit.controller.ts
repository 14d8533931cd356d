import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AUDIT_ACTIONS } from '@portcullis/shared/audit';
import { z } from 'zod';
import { AdminOnly, Org } from '../common/decorators/auth.decorators';
import { CursorParam, LimitParam } from '../common/list-query';
import type { OrgContext } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { AuditService } from './audit.service';

const AuditQuerySchema = z.strictObject({
  action: z.enum(AUDIT_ACTIONS, { message: 'must be an action the control plane records' }).optional(),
  targetId: z.string().max(100, 'must be at most 100 characters').optional(),
  limit: LimitParam,
  cursor: CursorParam,
});

@ApiTags('audit')
@AdminOnly()
@Controller('orgs/:org/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: "The organization's audit trail, newest first" })
  @ApiQuery({ name: 'action', required: false, enum: AUDIT_ACTIONS })
  @ApiQuery({ name: 'targetId', required: false })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  list(
    @Org() org: OrgContext,
    @Query(new ZodPipe(AuditQuerySchema, 'query')) q: z.output<typeof AuditQuerySchema>,
  ) {
    return this.audit.list(org.orgId, q);
  }

  @Get('verify')
  @ApiOperation({
    summary: 'Re-compute the hash chain; reports the first edited, missing or re-ordered record',
  })
  verify(@Org() org: OrgContext) {
    return this.audit.verify(org.orgId);
  }
}
