import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type UsersQuery, UsersQuerySchema } from '@portcullis/shared/api/queries';
import { MEMBER_STATUSES, type UpdateMemberInput, UpdateMemberSchema } from '@portcullis/shared/auth';
import { AdminOnly, Caller } from '../common/decorators/auth.decorators';
import { DomainError } from '../common/errors/domain-error';
import { jsonSchema } from '../common/openapi';
import type { OrgCaller } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { MembersService } from './members.service';

@ApiTags('users')
@Controller('orgs/:org/users')
export class UsersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @AdminOnly()
  @ApiOperation({
    summary:
      'Members and pending invitations (admins), by email; search by name or email. Invitation rows have the invitation id',
  })
  @ApiQuery({ name: 'search', required: false })
  @ApiQuery({ name: 'status', required: false, enum: MEMBER_STATUSES })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Caller() caller: OrgCaller, @Query(new ZodPipe(UsersQuerySchema, 'query')) q: UsersQuery) {
    return this.members.list(caller.org.orgId, q);
  }

  @Get(':id')
  @ApiOperation({
    summary:
      'One member with their keys, grants, limits, budgets, groups, effective policy and usage (admins, or the user themself)',
  })
  get(@Caller() caller: OrgCaller, @Param('id') id: string) {
    if (caller.org.role !== 'admin' && id !== caller.actor.userId) {
      throw new DomainError('forbidden', 'Members may only look at themselves');
    }
    return this.members.detail(caller, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: "Change a member's role (admins) or name (admins, or the user themself); applies at once",
  })
  @ApiBody({ schema: jsonSchema(UpdateMemberSchema) })
  update(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Body(new ZodPipe(UpdateMemberSchema)) body: UpdateMemberInput,
  ) {
    return this.members.update(caller, id, body);
  }

  @Delete(':id')
  @AdminOnly()
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Remove a member: membership, keys (refused at once), grants, limits and groups go; history stays',
  })
  async remove(@Caller() caller: OrgCaller, @Param('id') id: string): Promise<void> {
    await this.members.remove(caller, id);
  }

  @Delete(':id/sessions')
  @AdminOnly()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'End every session of a member (they must sign in again, everywhere); audited as user.sessions_ended',
  })
  endSessions(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.members.endSessions(caller, id);
  }

  @Post(':id/suspend')
  @AdminOnly()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Suspend a member in this organization: sessions and keys refused, everything kept (idempotent)',
  })
  suspend(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.members.suspend(caller, id);
  }

  @Post(':id/reactivate')
  @AdminOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Lift a suspension: keys work again in the states they had (idempotent)' })
  reactivate(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.members.reactivate(caller, id);
  }
}
