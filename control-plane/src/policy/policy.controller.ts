import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CreateGrantSchema,
  type OrgSettings,
  type PutLimitsInput,
  PutLimitsSchema,
  UpdateOrgSettingsSchema,
} from '@portcullis/shared/policy';
import { AdminOnly, Caller } from '../common/decorators/auth.decorators';
import { jsonSchema } from '../common/openapi';
import type { OrgCaller } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { PolicyService } from './policy.service';

/**
 * Model access grants and limits of users and groups, and the organization's settings. Admins write;
 * members read their own grants and limits and those of groups they belong to.
 */
@ApiTags('policy')
@Controller('orgs/:org')
export class PolicyController {
  constructor(private readonly policy: PolicyService) {}

  @Get('users/:id/grants')
  @ApiOperation({ summary: "A user's model access grants" })
  userGrants(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.policy.listGrants(caller, 'user', id);
  }

  @Post('users/:id/grants')
  @AdminOnly()
  @HttpCode(201)
  @ApiOperation({ summary: 'Grant a user a model of the organization (by slug)' })
  @ApiBody({ schema: jsonSchema(CreateGrantSchema) })
  addUserGrant(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Body(new ZodPipe(CreateGrantSchema)) body: { model: string },
  ) {
    return this.policy.addGrant(caller, 'user', id, body.model);
  }

  @Delete('users/:id/grants/:model')
  @AdminOnly()
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke a user's grant of a model (slug URL-encoded)" })
  async removeUserGrant(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Param('model') model: string,
  ): Promise<void> {
    await this.policy.removeGrant(caller, 'user', id, model);
  }

  @Get('users/:id/limits')
  @ApiOperation({ summary: "A user's limits and budgets (null = no limit)" })
  userLimits(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.policy.getLimits(caller, 'user', id);
  }

  @Put('users/:id/limits')
  @AdminOnly()
  @ApiOperation({ summary: "Replace a user's limits and budgets; they apply to each of the user's keys" })
  @ApiBody({ schema: jsonSchema(PutLimitsSchema) })
  putUserLimits(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Body(new ZodPipe(PutLimitsSchema)) body: PutLimitsInput,
  ) {
    return this.policy.putLimits(caller, 'user', id, body);
  }

  @Get('groups/:id/grants')
  @ApiOperation({ summary: "A group's model access grants" })
  groupGrants(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.policy.listGrants(caller, 'group', id);
  }

  @Post('groups/:id/grants')
  @AdminOnly()
  @HttpCode(201)
  @ApiOperation({ summary: 'Grant a group a model of the organization (by slug)' })
  @ApiBody({ schema: jsonSchema(CreateGrantSchema) })
  addGroupGrant(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Body(new ZodPipe(CreateGrantSchema)) body: { model: string },
  ) {
    return this.policy.addGrant(caller, 'group', id, body.model);
  }

  @Delete('groups/:id/grants/:model')
  @AdminOnly()
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke a group's grant of a model (slug URL-encoded)" })
  async removeGroupGrant(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Param('model') model: string,
  ): Promise<void> {
    await this.policy.removeGrant(caller, 'group', id, model);
  }

  @Get('groups/:id/limits')
  @ApiOperation({ summary: "A group's limits and budgets (null = no limit)" })
  groupLimits(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.policy.getLimits(caller, 'group', id);
  }

  @Put('groups/:id/limits')
  @AdminOnly()
  @ApiOperation({ summary: "Replace a group's limits and budgets; they apply to each key of each member" })
  @ApiBody({ schema: jsonSchema(PutLimitsSchema) })
  putGroupLimits(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Body(new ZodPipe(PutLimitsSchema)) body: PutLimitsInput,
  ) {
    return this.policy.putLimits(caller, 'group', id, body);
  }

  @Get('settings')
  @AdminOnly()
  @ApiOperation({ summary: "The organization's settings" })
  settings(@Caller() caller: OrgCaller) {
    return this.policy.getSettings(caller);
  }

  @Patch('settings')
  @AdminOnly()
  @ApiOperation({
    summary:
      "Change the organization's settings (modelAccessWithoutGrants: none | all; defaultMcpPolicy: the most MCP access members may give their own keys, mode none | listed | all)",
  })
  @ApiBody({ schema: jsonSchema(UpdateOrgSettingsSchema) })
  updateSettings(
    @Caller() caller: OrgCaller,
    @Body(new ZodPipe(UpdateOrgSettingsSchema)) body: Partial<OrgSettings>,
  ) {
    return this.policy.updateSettings(caller, body);
  }
}
