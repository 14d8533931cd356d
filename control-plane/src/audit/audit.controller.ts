import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type AuditQuery, AuditQuerySchema } from '@portcullis/shared/api/queries';
import { AUDIT_ACTIONS } from '@portcullis/shared/audit';
import { AdminOnly, Org } from '../common/decorators/auth.decorators';
import type { OrgContext } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { AuditService } from './audit.service';

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
  list(@Org() org: OrgContext, @Query(new ZodPipe(AuditQuerySchema, 'query')) q: AuditQuery) {
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
