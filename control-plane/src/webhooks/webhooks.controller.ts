import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type PageQuery, PageQuerySchema } from '@portcullis/shared/api/queries';
import { type CreateWebhookInput, CreateWebhookSchema } from '@portcullis/shared/webhooks';
import { AdminOnly, Caller } from '../common/decorators/auth.decorators';
import { jsonSchema } from '../common/openapi';
import type { OrgCaller } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { WebhooksService } from './webhooks.service';

/** Admin only, reads included: endpoints and their delivery history describe the organization's plumbing. */
@ApiTags('webhooks')
@AdminOnly()
@Controller('orgs/:org/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: 'List webhook endpoints (secrets never shown), oldest first' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Caller() caller: OrgCaller, @Query(new ZodPipe(PageQuerySchema, 'query')) q: PageQuery) {
    return this.webhooks.list(caller, q);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Add a webhook endpoint; the signing secret (whsec_…) is in this answer and never again',
  })
  @ApiBody({ schema: jsonSchema(CreateWebhookSchema) })
  create(@Caller() caller: OrgCaller, @Body(new ZodPipe(CreateWebhookSchema)) body: CreateWebhookInput) {
    return this.webhooks.create(caller, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One webhook endpoint' })
  get(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.webhooks.get(caller, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook endpoint; its pending deliveries are dropped' })
  async remove(@Caller() caller: OrgCaller, @Param('id') id: string): Promise<void> {
    await this.webhooks.remove(caller, id);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a signed webhook.test delivery to this endpoint' })
  test(@Caller() caller: OrgCaller, @Param('id') id: string) {
    return this.webhooks.test(caller, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "The endpoint's deliveries, newest first, with every attempt" })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  deliveries(
    @Caller() caller: OrgCaller,
    @Param('id') id: string,
    @Query(new ZodPipe(PageQuerySchema, 'query')) q: PageQuery,
  ) {
    return this.webhooks.listDeliveries(caller, id, q);
  }
}
