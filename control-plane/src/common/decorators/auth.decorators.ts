import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { DomainError } from '../errors/domain-error';
import {
  type Actor,
  type AuthContext,
  actorOf,
  type OrgCaller,
  type OrgContext,
  type PortcullisRequest,
} from '../request-context';

export const IS_PUBLIC = 'portcullis:public';
export const ADMIN_ONLY = 'portcullis:admin-only';
export const SESSION_OPTIONAL = 'portcullis:session-optional';

/** Opts a route out of the global session guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
/** A public route that still learns who is signed in, when someone is (`@MaybeAuth()`). */
export const SessionOptional = () => applyDecorators(Public(), SetMetadata(SESSION_OPTIONAL, true));
/** Requires the caller to be an admin of the `:org` in the path. */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);

const requestOf = (ctx: ExecutionContext) => ctx.switchToHttp().getRequest<PortcullisRequest>();

export const Auth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext => {
  const auth = requestOf(ctx).auth;
  if (!auth) throw new DomainError('unauthenticated', 'Sign in first');
  return auth;
});

/** The session on a `@SessionOptional()` route, or null when nobody is signed in. */
export const MaybeAuth = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthContext | null => requestOf(ctx).auth ?? null,
);

export const Org = createParamDecorator((_: unknown, ctx: ExecutionContext): OrgContext => {
  const org = requestOf(ctx).org;
  if (!org) throw new DomainError('not_found', 'Organization not found');
  return org;
});

export const CurrentActor = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Actor => actorOf(requestOf(ctx)),
);

export const SourceIp = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string => requestOf(ctx).ip ?? '',
);

/** The signed-in user acting in the path's organization (both are guaranteed by the global guard). */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): OrgCaller => {
  const req = requestOf(ctx);
  if (!req.auth) throw new DomainError('unauthenticated', 'Sign in first');
  if (!req.org) throw new DomainError('not_found', 'Organization not found');
  return { org: req.org, actor: { ...actorOf(req), userId: req.auth.userId } };
});
