import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Role } from '@portcullis/shared/auth';
import { DataSource } from 'typeorm';
import { ADMIN_ONLY, IS_PUBLIC, SESSION_OPTIONAL } from '../common/decorators/auth.decorators';
import { DomainError } from '../common/errors/domain-error';
import type { AuthContext, PortcullisRequest } from '../common/request-context';
import { isCrossSite } from '../common/same-origin';
import { isUuid } from '../common/uuid';
import { APP_CONFIG, type AppConfig, dashboardOrigin } from '../config/config';
import { query, sql } from '../database/sql';
import type { MembershipStatus } from '../orgs/membership.entity';
import { SESSION_COOKIE, SessionsService } from './sessions.service';

/**
 * The global guard. In order: a state change that a browser sent from another site is refused
 * (`cross_site_request`); public routes pass (`@SessionOptional()` ones learn the session if any); otherwise a session (Bearer token or cookie)
 * is required; a route with `:org` needs a membership in it (anything else is 404, so other
 * organizations stay invisible) that is not suspended (403: the user exists there, and may still work
 * in their other organizations); `@AdminOnly()` routes need the admin role (403).
 */
const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.allowedOrigin = dashboardOrigin(config);
  }

  private readonly allowedOrigin: string;

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const req = ctx.switchToHttp().getRequest<PortcullisRequest>();
    // Before anything else, public routes included: a cross-site sign-in is login CSRF.
    if (
      isCrossSite(
        {
          method: req.method,
          authorization: req.headers.authorization,
          origin: header(req.headers.origin),
          secFetchSite: header(req.headers['sec-fetch-site']),
        },
        this.allowedOrigin,
      )
    ) {
      throw new DomainError(
        'cross_site_request',
        `This change must come from the Portcullis dashboard (${this.allowedOrigin}); requests from other sites are refused`,
      );
    }
    const presented = this.presentedToken(req);
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      if (presented && this.reflector.getAllAndOverride<boolean>(SESSION_OPTIONAL, targets)) {
        req.auth = (await this.sessions.resolve(presented.token, presented.via)) ?? undefined;
      }
      return true;
    }

    const auth = presented ? await this.sessions.resolve(presented.token, presented.via) : null;
    if (!auth) throw new DomainError('unauthenticated', 'Sign in first: missing, invalid or expired session');
    req.auth = auth;

    const orgParam = req.params?.org;
    if (orgParam !== undefined) {
      if (!isUuid(orgParam)) throw DomainError.notFound('Organization');
      // Read on every request, so a role change, suspension or removal applies to the next call.
      const rows: { role: Role; status: MembershipStatus }[] = await query(
        this.db,
        sql`SELECT role, status FROM memberships WHERE org_id = ${orgParam} AND user_id = ${auth.userId}`,
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

  private presentedToken(req: PortcullisRequest): { token: string; via: AuthContext['via'] } | null {
    const authorization = req.headers.authorization;
    if (typeof authorization === 'string' && authorization.length > 0) {
      const m = /^Bearer\s+(\S+)$/i.exec(authorization);
      return m?.[1] ? { token: m[1], via: 'bearer' } : null;
    }
    const cookies = (req as { cookies?: Record<string, unknown> }).cookies;
    const cookie = cookies?.[SESSION_COOKIE];
    return typeof cookie === 'string' && cookie.length > 0 ? { token: cookie, via: 'cookie' } : null;
  }
}
