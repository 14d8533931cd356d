import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  type CreateEphemeralTokenInput,
  CreateEphemeralTokenSchema,
  type CreateKeyInput,
  CreateKeySchema,
  type ListKeysQuery,
  ListKeysQuerySchema,
  type UpdateKeyInput,
  UpdateKeySchema,
} from '@portcullis/shared/api-keys';
import { Caller } from '../common/decorators/auth.decorators';
import { jsonSchema } from '../common/openapi';
import type { OrgCaller } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { EphemeralTokensService } from './ephemeral-tokens.service';
import { KeysService } from './keys.service';
import { KeysQueryService } from './keys-query.service';

@ApiTags('api-keys')
@Controller('orgs/:org/keys')
export class KeysController {
  constructor(
    private readonly keys: KeysService,
    private readonly queries: KeysQueryService,
    private readonly tokens: EphemeralTokensService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List keys (members see their own); search by name or prefix, filter, sort, paginate',
  })
  @ApiQuery({ name: 'search', required: false })
  @ApiQuery({ name: 'status', required: false, enum: ['active', 'inactive', 'expired', 'revoked'] })
  @ApiQuery({ name: 'ownerId', required: false })
  @ApiQuery({ name: 'sort', required: false, enum: ['name', 'owner', 'status', 'requests', 'created'] })
  @ApiQuery({ name: 'order', required: false, enum: ['asc', 'desc'] })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Caller() caller: OrgCaller, @Query(new ZodPipe(ListKeysQuerySchema, 'query')) q: ListKeysQuery) {
    return this.queries.list(caller, q);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a key; the response is the only time its secret is shown' })
  @ApiBody({ schema: jsonSchema(CreateKeySchema) })
  create(@Caller() caller: OrgCaller, @Body(new ZodPipe(CreateKeySchema)) body: CreateKeyInput) {
    return this.keys.create(caller, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One key' })
  get(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.queries.get(caller, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Edit a key (not a revoked one)' })
  @ApiBody({ schema: jsonSchema(UpdateKeySchema) })
  update(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Body(new ZodPipe(UpdateKeySchema)) body: UpdateKeyInput,
  ) {
    return this.keys.update(caller, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a key; it stops working at once' })
  async remove(@Caller() caller: OrgCaller, @Param('id') id: string): Promise<void> {
    await this.keys.remove(caller, id);
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Issue a new secret (shown once); the old one stops working at once' })
  rotate(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.keys.rotate(caller, id);
  }

  @Post(':id/ephemeral-tokens')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Issue a short-lived token that acts as this key at the gateways (shown once); it stops working at its expiry (never later than the key), and when the key is revoked, deactivated, rotated or deleted',
  })
  @ApiBody({ schema: jsonSchema(CreateEphemeralTokenSchema), required: false })
  createEphemeralToken(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Body(new ZodPipe(CreateEphemeralTokenSchema)) body: CreateEphemeralTokenInput,
  ) {
    return this.tokens.create(caller, id, body);
  }

  @Post(':id/activate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-activate an inactive key' })
  activate(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.keys.activate(caller, id);
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause a key (reversible)' })
  deactivate(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.keys.deactivate(caller, id);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a key (final)' })
  revoke(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.keys.revoke(caller, id);
  }
}
