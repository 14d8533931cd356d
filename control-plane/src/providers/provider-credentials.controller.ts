import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  type ForceQuery,
  ForceQuerySchema,
  type PageQuery,
  PageQuerySchema,
} from '@portcullis/shared/api/queries';
import {
  type CreateCredentialInput,
  CreateCredentialSchema,
  type UpdateCredentialInput,
  UpdateCredentialSchema,
} from '@portcullis/shared/providers';
import { AdminOnly, Caller } from '../common/decorators/auth.decorators';
import { jsonSchema } from '../common/openapi';
import type { OrgCaller } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { ProviderCredentialsService } from './provider-credentials.service';

/** Admin only, reads included: configs name internal endpoints, and previews are still secret-adjacent. */
@ApiTags('provider-credentials')
@AdminOnly()
@Controller('orgs/:org/provider-credentials')
export class ProviderCredentialsController {
  constructor(private readonly credentials: ProviderCredentialsService) {}

  @Get()
  @ApiOperation({ summary: 'List provider credentials (secrets masked), with the models using each' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Caller() caller: OrgCaller, @Query(new ZodPipe(PageQuerySchema, 'query')) q: PageQuery) {
    return this.credentials.list(caller, q);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Store a provider secret (encrypted at rest; never returned)' })
  @ApiBody({ schema: jsonSchema(CreateCredentialSchema) })
  create(
    @Caller() caller: OrgCaller,
    @Body(new ZodPipe(CreateCredentialSchema)) body: CreateCredentialInput,
  ) {
    return this.credentials.create(caller, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One provider credential (secret masked)' })
  get(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.credentials.get(caller, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename, replace the secret, or replace the config; models keep pointing at it' })
  @ApiBody({ schema: jsonSchema(UpdateCredentialSchema) })
  update(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Body(new ZodPipe(UpdateCredentialSchema)) body: UpdateCredentialInput,
  ) {
    return this.credentials.update(caller, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete; 409 while models use it, unless ?force=true (which deletes them too)' })
  @ApiQuery({ name: 'force', required: false, enum: ['true', 'false'] })
  async remove(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Query(new ZodPipe(ForceQuerySchema, 'query')) q: ForceQuery,
  ): Promise<void> {
    await this.credentials.remove(caller, id, q.force === 'true');
  }
}
