import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { HealthController } from '../health/health.controller';
import { forbidden, unauthorized } from '../api/api-errors';
import { ACCESS_RULE, PUBLIC_ROUTE, type AccessRule, type AuthenticatedRequest } from './auth.decorators';
import { AuthService } from './auth.service';

/** Routes open without an identity besides those marked @Public(): the health probe. */
const PUBLIC_CONTROLLERS: readonly unknown[] = [HealthController];

export const SESSION_COOKIE = 'earshot_session';

/** The token of a request: `Authorization: Bearer <token>` first, else the session cookie. */
export function presentedToken(req: AuthenticatedRequest): string | null {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m?.[1] ?? null;
  }
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? null : value;
    }
  }
  return null;
}

/**
 * Every route needs an identity (401 without a valid one) and then the route's access rule (403
 * when the role or token scope does not allow it). Registered for the whole app.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (PUBLIC_CONTROLLERS.includes(context.getClass()) || this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = presentedToken(req);
    if (!token) throw unauthorized();
    const identity = await this.auth.authenticate(token);
    if (!identity) throw unauthorized('the session or token is not valid (expired, ended or unknown)');
    req.identity = identity;
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, targets);
    if (!rule) return true;
    if (identity.role !== null && rule.roles.includes(identity.role)) return true;
    if (identity.scope !== null && (rule.scopes ?? []).includes(identity.scope)) return true;
    const who = identity.role !== null ? `role ${identity.role}` : `a token with scope ${identity.scope ?? '?'}`;
    throw forbidden(`${who} may not ${req.method} ${req.path}`);
  }
}
