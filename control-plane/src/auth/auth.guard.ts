import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Role } from '@portcullis/shared/auth';
import { DataSource } from 'typeorm';
import { ADMIN_ONLY, IS_PUBLIC } from '../common/decorators/auth.decorators';
import { DomainError } from '../common/errors/domain-error';
import type { PortcullisRequest } from '../common/request-context';
import { isUuid } from '../common/uuid';
import type { MembershipStatus } from '../orgs/membership.entity';
import { SESSION_COOKIE, SessionsService } from './sessions.service';

/**
 * The global guard. In order: public routes pass; otherwise a session (Bearer token or cookie)
 * is required; a route with `:org` needs a membership in it (anything else is 404, so other
 * organizations stay invisible) that is not suspended (403: the user exists there, and may still work
 * in their other organizations); `@AdminOnly()` routes need the admin role (403).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<PortcullisRequest>();

    const token = this.presentedToken(req);
    const auth = token ? await this.sessions.resolve(token) : null;
    if (!auth) throw new DomainError('unauthenticated', 'Sign in first: missing, invalid or expired session');
    req.auth = auth;

    const orgParam = req.params?.org;
    if (orgParam !== undefined) {
      if (!isUuid(orgParam)) throw DomainError.notFound('Organization');
      // Read on every request, so a role change, suspension or removal applies to the next call.
      const rows: { role: Role; status: MembershipStatus }[] = await this.db.query(
        'SELECT role, status FROM memberships WHERE org_id = $1 AND user_id = $2',
        [orgParam, auth.userId],
      );
      const membership = rows[0];
      if (!membership) throw DomainError.notFound('Organization');
      if (membership.status !== 'active') {
        throw new DomainError(
          'forbidden',
          'Your membership of this organization is suspended; an admin of the organization can reactivate it',
        );
      }
      const role = membership.role;
      req.org = { orgId: orgParam, role };
      if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets) && role !== 'admin') {
        throw new DomainError('forbidden', 'Only organization admins may do this');
      }
    }
    return true;
  }

  private presentedToken(req: PortcullisRequest): string | null {
    const header = req.headers.authorization;
    if (typeof header === 'string' && header.length > 0) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      return m?.[1] ?? null;
    }
    const cookies = (req as { cookies?: Record<string, unknown> }).cookies;
    const cookie = cookies?.[SESSION_COOKIE];
    return typeof cookie === 'string' && cookie.length > 0 ? cookie : null;
  }
}
