import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AcceptInvitationBodySchema, AcceptInvitationSchema, InviteSchema } from '@portcullis/shared/auth';
import type { z } from 'zod';
import {
  AdminOnly,
  Caller,
  MaybeAuth,
  SessionOptional,
  SourceIp,
} from '../common/decorators/auth.decorators';
import { jsonSchema } from '../common/openapi';
import type { AuthContext, OrgCaller } from '../common/request-context';
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
      'Invite an email with a role. The one-time accept link (valid 7 days) is mailed when SMTP_URL is set (acceptUrl: null), otherwise returned for the admin to hand over',
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

  @SessionOptional()
  @Get('invitations/:token')
  @ApiOperation({
    summary:
      'What an invitation link is for (email, organization, role) and whether that email has an account already',
  })
  peek(@Param('token') token: string, @MaybeAuth() auth: AuthContext | null) {
    return this.invitations.peek(token, auth);
  }

  @SessionOptional()
  @Post('invitations/:token/accept')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Accept an invitation. A new account: {name, password} → { token, user } (signed in). An email with an account: sign in as it and send {} → { token: null, user }',
  })
  @ApiBody({ schema: jsonSchema(AcceptInvitationSchema) })
  accept(
    @Param('token') token: string,
    @Body(new ZodPipe(AcceptInvitationBodySchema)) body: z.output<typeof AcceptInvitationBodySchema>,
    @MaybeAuth() auth: AuthContext | null,
    @SourceIp() ip: string,
    @Headers('user-agent') userAgent: string | undefined,
  ) {
    return this.invitations.accept(token, body, auth, ip, userAgent ?? null);
  }
}
