import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CreateOrgSchema } from '@portcullis/shared/auth';
import type { z } from 'zod';
import { Auth, CurrentActor, Org } from '../common/decorators/auth.decorators';
import { jsonSchema } from '../common/openapi';
import type { Actor, AuthContext, OrgContext } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { OrgsService } from './orgs.service';

@ApiTags('organizations')
@Controller('orgs')
export class OrgsController {
  constructor(private readonly orgs: OrgsService) {}

  @Get()
  @ApiOperation({ summary: 'Organizations the caller belongs to, with the role in each' })
  async list(@Auth() auth: AuthContext) {
    return { data: await this.orgs.listForUser(auth.userId), nextCursor: null };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an organization; the caller becomes its admin' })
  @ApiBody({ schema: jsonSchema(CreateOrgSchema) })
  create(
    @Body(new ZodPipe(CreateOrgSchema)) body: z.output<typeof CreateOrgSchema>,
    @CurrentActor() actor: Actor,
    @Auth() auth: AuthContext,
  ) {
    return this.orgs.createAsUser(body.name, { ...actor, userId: auth.userId });
  }

  @Get(':org')
  @ApiOperation({ summary: 'One organization the caller belongs to' })
  get(@Org() org: OrgContext, @Auth() auth: AuthContext) {
    return this.orgs.get(org.orgId, auth.userId);
  }
}
