import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type PageQuery, PageQuerySchema } from '@portcullis/shared/api/queries';
import { type CreateGatewayTokenInput, CreateGatewayTokenSchema } from '@portcullis/shared/gateways';
import { SNAPSHOT_SIGNATURE_HEADER } from '@portcullis/shared/signing';
import { GatewayHeartbeatSchema, GatewayRegisterSchema } from '@portcullis/shared/snapshot';
import type { Response } from 'express';
import type { z } from 'zod';
import { AdminOnly, Caller, Public, SourceIp } from '../common/decorators/auth.decorators';
import { jsonSchema } from '../common/openapi';
import type { OrgCaller } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { CurrentGateway, GatewayTokenGuard } from './gateway-token.guard';
import { type GatewayIdentity, GatewaysService } from './gateways.service';

/** Admins attach and detach gateways and watch their lag. */
@ApiTags('gateways')
@AdminOnly()
@Controller('orgs/:org')
export class GatewaysController {
  constructor(private readonly gateways: GatewaysService) {}

  @Post('gateway-tokens')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create a gateway and its token; the response is the only time the token is shown',
  })
  @ApiBody({ schema: jsonSchema(CreateGatewayTokenSchema) })
  createToken(
    @Caller() caller: OrgCaller,
    @Body(new ZodPipe(CreateGatewayTokenSchema)) body: CreateGatewayTokenInput,
  ) {
    return this.gateways.createToken(caller, body);
  }

  @Get('gateways')
  @ApiOperation({ summary: 'Gateways with snapshot version, lag, last seen and status' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Caller() caller: OrgCaller, @Query(new ZodPipe(PageQuerySchema, 'query')) q: PageQuery) {
    return this.gateways.list(caller, q);
  }

  @Delete('gateways/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a gateway; its token stops working at once' })
  async remove(@Caller() caller: OrgCaller, @Param('id') id: string): Promise<void> {
    await this.gateways.remove(caller, id);
  }
}

/** What gateways call, with their gateway token. */
@ApiTags('gateway-api')
@ApiBearerAuth()
@Public()
@UseGuards(GatewayTokenGuard)
@Controller('gateway')
export class GatewayApiController {
  constructor(private readonly gateways: GatewaysService) {}

  @Post('register')
  @HttpCode(200)
  @ApiOperation({ summary: "Register a gateway instance; returns the organization's snapshot key" })
  @ApiBody({ schema: jsonSchema(GatewayRegisterSchema) })
  register(
    @CurrentGateway() gw: GatewayIdentity,
    @Body(new ZodPipe(GatewayRegisterSchema)) body: z.infer<typeof GatewayRegisterSchema>,
    @SourceIp() ip: string,
  ) {
    return this.gateways.register(gw, body, ip || null);
  }

  @Post('heartbeat')
  @HttpCode(200)
  @ApiOperation({ summary: "Report the snapshot version held; returns the organization's version" })
  @ApiBody({ schema: jsonSchema(GatewayHeartbeatSchema) })
  heartbeat(
    @CurrentGateway() gw: GatewayIdentity,
    @Body(new ZodPipe(GatewayHeartbeatSchema)) body: z.infer<typeof GatewayHeartbeatSchema>,
  ) {
    return this.gateways.heartbeat(gw, body);
  }

  @Get('snapshot')
  @ApiOperation({
    summary:
      "The organization's full snapshot (provider secrets sealed under the snapshot key), signed by the control plane: the X-Portcullis-Signature header is the Ed25519 signature of the body's exact bytes",
  })
  async snapshot(@CurrentGateway() gw: GatewayIdentity, @Res() res: Response): Promise<void> {
    // Sent as built and signed: the signature covers these bytes, so nothing may re-serialize them.
    const signed = await this.gateways.snapshot(gw);
    if (signed.signature) res.setHeader(SNAPSHOT_SIGNATURE_HEADER, signed.signature);
    res.type('application/json').send(signed.body);
  }
}
