import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { HttpRequest } from '../common/http';
import { AppError, validationFailed } from '../common/app-error';
import { ACCESS_RULE, AccessRule, AccessService, PUBLIC_ROUTE } from './access';
import { Principal } from './principal';
import { JwtStrategy } from './strategies';

const unauthenticated = () => new AppError(401, 'UNAUTHENTICATED', 'Sign in first: the token is missing, expired, or no longer valid.');

/**
 * Every route needs a valid token unless it is marked @Public(): decided by the route Fastify matched
 * (its handler's metadata), never by the request's path, whose spelling the client chooses
 * (`/%61pi/…`, `http://host/api/…` are routed like `/api/…`).
 */
@Injectable()
export class TokenGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly strategy: JwtStrategy,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<HttpRequest & { user?: Principal }>();
    // A token passport has verified before skips passport (see VerifiedTokens); the account is checked either way.
    const claims = this.strategy.verifiedClaims(request);
    if (!claims) return (await super.canActivate(context)) as boolean;
    request.user = this.handleRequest(null, await this.strategy.principalFor(request, claims));
    return true;
  }

  override handleRequest<T>(error: unknown, principal: T | false): T {
    if (error instanceof AppError) throw error;
    if (error || !principal) throw unauthenticated();
    return principal;
  }
}

/** Runs the route's @Allow rule through the policy. A route that is neither @Public() nor @Allow-ed is refused. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Parameters<AccessService['check']>[0]>();
    rejectMalformedIds(request.params ?? {});
    const rule = this.reflector.get<AccessRule | undefined>(ACCESS_RULE, context.getHandler());
    if (!rule) throw new AppError(403, 'FORBIDDEN', 'This route has no access rule, so nobody may use it.');
    await this.access.check(request, rule);
    return true;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path ids are UUIDs (API.md): a malformed one is a 400, before any rule or lookup runs. */
function rejectMalformedIds(params: Record<string, string | undefined>): void {
  const bad = Object.entries(params).filter(([name, value]) => name.endsWith("Id") && (typeof value !== "string" || !UUID.test(value)));
  if (bad.length > 0) throw validationFailed(bad.map(([name]) => ({ field: name, reason: 'must be a UUID' })), 'An id in the path is not valid.');
}
