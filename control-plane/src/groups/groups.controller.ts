import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type PageQuery, PageQuerySchema } from '@portcullis/shared/api/queries';
import { type CreateGroupInput, CreateGroupSchema, UpdateGroupSchema } from '@portcullis/shared/policy';
import { AdminOnly, Caller } from '../common/decorators/auth.decorators';
import { jsonSchema } from '../common/openapi';
import type { OrgCaller } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { GroupsService } from './groups.service';

/** Admins manage groups; members list and read the groups they are in. */
@ApiTags('groups')
@Controller('orgs/:org/groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Get()
  @ApiOperation({ summary: 'Groups by name (members see the groups they are in)' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Caller() caller: OrgCaller, @Query(new ZodPipe(PageQuerySchema, 'query')) q: PageQuery) {
    return this.groups.list(caller, q);
  }

  @Post()
  @AdminOnly()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a group (name unique in the organization)' })
  @ApiBody({ schema: jsonSchema(CreateGroupSchema) })
  create(@Caller() caller: OrgCaller, @Body(new ZodPipe(CreateGroupSchema)) body: CreateGroupInput) {
    return this.groups.create(caller, body.name);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One group with its members, grants, limits and budgets' })
  get(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.groups.get(caller, id);
  }

  @Patch(':id')
  @AdminOnly()
  @ApiOperation({ summary: 'Rename a group' })
  @ApiBody({ schema: jsonSchema(UpdateGroupSchema) })
  update(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Body(new ZodPipe(UpdateGroupSchema)) body: CreateGroupInput,
  ) {
    return this.groups.rename(caller, id, body.name);
  }

  @Delete(':id')
  @AdminOnly()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a group (its memberships and grants go with it)' })
  async remove(@Caller() caller: OrgCaller, @Param('id') id: string): Promise<void> {
    await this.groups.remove(caller, id);
  }

  @Put(':id/members/:userId')
  @AdminOnly()
  @HttpCode(204)
  @ApiOperation({ summary: 'Add a member of the organization to the group (idempotent)' })
  async addMember(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Param('userId') userId: string,
  ): Promise<void> {
    await this.groups.addMember(caller, id, userId);
  }

  @Delete(':id/members/:userId')
  @AdminOnly()
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a member from the group' })
  async removeMember(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Param('userId') userId: string,
  ): Promise<void> {
    await this.groups.removeMember(caller, id, userId);
  }
}
