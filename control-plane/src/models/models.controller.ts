import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type PageQuery, PageQuerySchema } from '@portcullis/shared/api/queries';
import {
  type CreateModelInput,
  CreateModelSchema,
  type UpdateModelInput,
  UpdateModelSchema,
} from '@portcullis/shared/providers';
import { AdminOnly, Caller } from '../common/decorators/auth.decorators';
import { jsonSchema } from '../common/openapi';
import type { OrgCaller } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { ModelsService } from './models.service';

/**
 * Members read the models they may use (enabled, and allowed by their effective policy: to choose a key's
 * allowed models); admins read and change the whole catalog.
 */
@ApiTags('models')
@Controller('orgs/:org/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @ApiOperation({ summary: 'The model catalog, by slug (members: the enabled models they may use)' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Caller() caller: OrgCaller, @Query(new ZodPipe(PageQuerySchema, 'query')) q: PageQuery) {
    return this.models.list(caller, q);
  }

  @Post()
  @AdminOnly()
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a model: slug → credential, upstream model name, prices per million tokens' })
  @ApiBody({ schema: jsonSchema(CreateModelSchema) })
  create(@Caller() caller: OrgCaller, @Body(new ZodPipe(CreateModelSchema)) body: CreateModelInput) {
    return this.models.create(caller, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One model' })
  get(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.models.get(caller, id);
  }

  @Patch(':id')
  @AdminOnly()
  @ApiOperation({ summary: 'Edit a model' })
  @ApiBody({ schema: jsonSchema(UpdateModelSchema) })
  update(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Body(new ZodPipe(UpdateModelSchema)) body: UpdateModelInput,
  ) {
    return this.models.update(caller, id, body);
  }

  @Delete(':id')
  @AdminOnly()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a model' })
  async remove(@Caller() caller: OrgCaller, @Param('id') id: string): Promise<void> {
    await this.models.remove(caller, id);
  }
}
