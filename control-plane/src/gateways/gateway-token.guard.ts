import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import type { PortcullisRequest } from '../common/request-context';
import { type GatewayIdentity, GatewaysService } from './gateways.service';

type GatewayRequest = PortcullisRequest & { gateway?: GatewayIdentity };

/**
 * Gateway-token auth for the gateway API (`Authorization: Bearer ptcg_…`). These routes are
 * `@Public()` for the session guard; this guard is their only gate.
 */
@Injectable()
export class GatewayTokenGuard implements CanActivate {
  constructor(private readonly gateways: GatewaysService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<GatewayRequest>();
    const header = req.headers.authorization;
    const token = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
    const gateway = token ? await this.gateways.authenticate(token) : null;
    if (!gateway) {
      throw new DomainError(
        'unauthenticated',
        'A valid gateway token is required (Authorization: Bearer ptcg_…)',
      );
    }
    req.gateway = gateway;
    return true;
  }
}

export const CurrentGateway = createParamDecorator((_: unknown, ctx: ExecutionContext): GatewayIdentity => {
  const gateway = ctx.switchToHttp().getRequest<GatewayRequest>().gateway;
  if (!gateway) throw new DomainError('unauthenticated', 'A valid gateway token is required');
  return gateway;
});
