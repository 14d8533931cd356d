import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  type ForceQuery,
  ForceQuerySchema,
  type PageQuery,
  PageQuerySchema,
} from '@portcullis/shared/api/queries';
import {
  type CreateMcpServerInput,
  CreateMcpServerSchema,
  type UpdateMcpServerInput,
  UpdateMcpServerSchema,
} from '@portcullis/shared/mcp';
import { AdminOnly, Caller } from '../common/decorators/auth.decorators';
import { jsonSchema } from '../common/openapi';
import type { OrgCaller } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { McpServersService } from './mcp-servers.service';

/**
 * Members may read the catalog (to pick servers and tools for their keys' MCP policy), without where
 * each server is (`url`) or which headers it takes (`headerNames`); admins see those and change it.
 */
@ApiTags('mcp-servers')
@Controller('orgs/:org/mcp-servers')
export class McpServersController {
  constructor(private readonly servers: McpServersService) {}

  @Get()
  @ApiOperation({
    summary:
      'List MCP servers, with the keys naming each; url and headerNames (never values) for admins only',
  })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Caller() caller: OrgCaller, @Query(new ZodPipe(PageQuerySchema, 'query')) q: PageQuery) {
    return this.servers.list(caller, q);
  }

  @Post()
  @AdminOnly()
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Add an MCP server (streamable HTTP), proxied by gateways at /mcp/:name; headers are stored sealed',
  })
  @ApiBody({ schema: jsonSchema(CreateMcpServerSchema) })
  create(@Caller() caller: OrgCaller, @Body(new ZodPipe(CreateMcpServerSchema)) body: CreateMcpServerInput) {
    return this.servers.create(caller, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One MCP server; url and headerNames (never values) for admins only' })
  get(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.servers.get(caller, id);
  }

  @Patch(':id')
  @AdminOnly()
  @ApiOperation({
    summary:
      'Edit an MCP server; headers and tools, when given, replace the old ones; 409 renaming one keys name',
  })
  @ApiBody({ schema: jsonSchema(UpdateMcpServerSchema) })
  update(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Body(new ZodPipe(UpdateMcpServerSchema)) body: UpdateMcpServerInput,
  ) {
    return this.servers.update(caller, id, body);
  }

  @Post(':id/refresh-tools')
  @AdminOnly()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Replace the tool catalog with what the server lists (initialize + tools/list); 422 if unreachable',
  })
  refreshTools(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.servers.refreshTools(caller, id);
  }

  @Delete(':id')
  @AdminOnly()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete; 409 while keys name it, unless ?force=true (the keys keep the name)' })
  @ApiQuery({ name: 'force', required: false, enum: ['true', 'false'] })
  async remove(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Query(new ZodPipe(ForceQuerySchema, 'query')) q: ForceQuery,
  ): Promise<void> {
    await this.servers.remove(caller, id, q.force === 'true');
  }
}
