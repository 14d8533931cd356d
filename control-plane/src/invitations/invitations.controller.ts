import { Body, Controller, Delete, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AcceptInvitationSchema, InviteSchema } from '@portcullis/shared/auth';
import type { z } from 'zod';
import { AdminOnly, Caller, Public, SourceIp } from '../common/decorators/auth.decorators';
import { jsonSchema } from '../common/openapi';
import type { OrgCaller } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { InvitationsService } from './invitations.service';

@ApiTags('users')
@Controller()
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @AdminOnly()
  @Post('orgs/:org/invitations')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Invite an email with a role; returns the one-time accept link (valid 7 days), also mailed when SMTP_URL is set',
  })
  @ApiBody({ schema: jsonSchema(InviteSchema) })
  invite(@Caller() caller: OrgCaller, @Body(new ZodPipe(InviteSchema)) body: z.output<typeof InviteSchema>) {
    return this.invitations.invite(caller, body.email, body.role);
  }

  @AdminOnly()
  @Delete('orgs/:org/invitations/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Withdraw a pending invitation: its link stops working' })
  async revoke(@Caller() caller: OrgCaller, @Param('id') id: string): Promise<void> {
    await this.invitations.revoke(caller, id);
  }

  @Public()
  @Post('invitations/:token/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'Accept an invitation: sets name and password, signs in' })
  @ApiBody({ schema: jsonSchema(AcceptInvitationSchema) })
  accept(
    @Param('token') token: string,
    @Body(new ZodPipe(AcceptInvitationSchema)) body: z.output<typeof AcceptInvitationSchema>,
    @SourceIp() ip: string,
    @Headers('user-agent') userAgent: string | undefined,
  ) {
    return this.invitations.accept(token, body, ip, userAgent ?? null);
  }
}
