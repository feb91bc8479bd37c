import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Identity, Role, TokenScope } from './auth.dto';

export const PUBLIC_ROUTE = 'earshot:public';
export const ACCESS_RULE = 'earshot:access';

/** Who may call a route; a route without one is open to any valid identity. */
export interface AccessRule {
  roles: readonly Role[];
  /** API token scopes allowed (none by default). */
  scopes?: readonly TokenScope[];
}

/** A route that needs no identity (login; the console's static files). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** Restricts a route (or every route of a controller) to roles and API token scopes. */
export const Access = (rule: AccessRule): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_RULE, rule);

/** A request that passed AuthGuard. */
export interface AuthenticatedRequest extends Request {
  identity: Identity;
}

/** The caller's identity, in a handler behind AuthGuard. */
export const CurrentIdentity = createParamDecorator((_: unknown, ctx: ExecutionContext): Identity => {
  return ctx.switchToHttp().getRequest<AuthenticatedRequest>().identity;
});
