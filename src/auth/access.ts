import { CallHandler, createParamDecorator, ExecutionContext, Inject, Injectable, Logger, NestInterceptor, SetMetadata } from '@nestjs/common';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { DomainError } from '../common/domain-error';
import { HttpRequest as Request, pathOf, routeOf } from '../common/http';
import { v7 as uuidv7 } from 'uuid';
import { AppError } from '../common/app-error';
import { CLOCK, Clock } from '../common/clock';
import { dateIn } from '../common/time-zone';
import { Actor } from '../event-store/envelope';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { schoolDecider, SchoolState, schoolStream } from '../school/domain/school.decider';
import { consentDecider, consentStream } from '../parents/domain/consent.decider';
import { DenialLog } from './denial-log';
import { Action, authorize, needsConsent, Target } from './domain/policy';
import { Principal } from './principal';
import { isPlainRead } from './strategies';

export const PUBLIC_ROUTE = 'zhurnal:public';
export const ACCESS_RULE = 'zhurnal:access';

/** Open to anyone, no token (login, health, metrics). Every other route needs one: deny by default. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

export interface AccessRule {
  action: Action;
  /** Reads what the rule needs about the target from the raw request (before body validation). */
  target?: (request: Request) => Target;
}

/** The route's action in the policy; the access guard checks it before the handler runs. */
export const Allow = (action: Action, target?: AccessRule['target']) => SetMetadata(ACCESS_RULE, { action, target } satisfies AccessRule);

/** What the guard decided, kept on the request for the handler: who acts, in which role. */
export interface Authorized {
  principal: Principal;
  actor: Actor;
  school: SchoolState | null;
  /** The school's calendar date the access was decided on (its time zone; '' without a school). */
  today: string;
}

type RequestWithAccess = Request & { user?: Principal; access?: Authorized };

export const CurrentAccess = createParamDecorator((_: unknown, context: ExecutionContext): Authorized => {
  const request = context.switchToHttp().getRequest<RequestWithAccess>();
  if (!request.access) throw new Error('CurrentAccess used on a route without @Allow');
  return request.access;
});

export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Applies the policy to one request: loads the school's structure (caught up to the log), asks
 * `authorize`, and on a refusal records an AccessDenied event and answers 403 (or 404 for a
 * school the caller may not see) with the reason.
 */
@Injectable()
export class AccessService {
  private readonly logger = new Logger('access');

  constructor(
    private readonly repository: EventSourcedRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly denials: DenialLog,
  ) {}

  async check(request: RequestWithAccess, rule: AccessRule): Promise<Authorized> {
    const principal = request.user!;
    const schoolId = str(request.params?.schoolId);
    // Writes decide on the stream's tail; plain reads may use the known-fresh cached state.
    const load = isPlainRead(request) ? this.repository.read.bind(this.repository) : this.repository.load.bind(this.repository);
    const school = schoolId ? (await load(schoolStream(schoolId), schoolDecider)).state : null;
    const target = await this.withConsent(principal, rule.action, rule.target?.(request) ?? {}, school);
    // Rights follow the date: the policy decides on the school's today (src/auth/domain/policy.ts).
    const today = school ? dateIn(school.timezone, this.clock.now()) : '';
    const decision = authorize(principal, rule.action, target, school, today);
    if (decision.allowed) {
      const access = { principal, school, today, actor: { accountId: principal.accountId, role: decision.actingAs, generation: principal.generation } };
      request.access = access;
      return access;
    }
    await this.recordDenial(request, principal, rule.action, decision.reason, schoolId, school);
    throw decision.status === 404 ? new AppError(404, 'NOT_FOUND', decision.reason) : new AppError(403, 'FORBIDDEN', decision.reason);
  }

  /**
   * A linked parent's consent, for the diary routes that need it: read from the consent stream
   * (cached fold + tail), so a GET right after a granted consent sees it; the consent decider is
   * voidable, so registrations through a compromised account do not count.
   */
  private async withConsent(principal: Principal, action: Action, target: Target, school: SchoolState | null): Promise<Target> {
    const studentId = target.studentId;
    if (!school || !studentId || !needsConsent(action) || !principal.roles.includes('parent')) return target;
    if (!(school.parentLinks[studentId] ?? []).includes(principal.accountId)) return target;
    const { state } = await this.repository.load(consentStream(principal.accountId, studentId), consentDecider);
    return { ...target, consentGiven: state.status === 'granted' };
  }

  /**
   * Records a refusal as an `AccessDenied` event in the caller's school and, when the path names
   * another school that exists, in that one too: its security officer sees probes against it.
   * Repeats are coalesced (DenialLog).
   */
  async recordDenial(request: Request, principal: Principal, action: Action | string, reason: string, targetSchoolId: string | undefined, target: SchoolState | null): Promise<void> {
    const route = `${request.method} ${routeOf(request) ?? pathOf(request)}`;
    this.logger.warn({ accountId: principal.accountId, action, route, reason }, 'access denied');
    const denial = { accountId: principal.accountId, action, route, reason, targetSchoolId: targetSchoolId ?? null };
    const actor: Actor = { accountId: principal.accountId, role: principal.roles[0], generation: principal.generation };
    const correlationId = String(request.id ?? uuidv7());
    const schools = [principal.schoolId];
    if (target?.exists && target.schoolId !== principal.schoolId) schools.push(target.schoolId);
    await Promise.all(schools.map((school) => this.denials.record(denial, school, actor, correlationId)));
  }
}

/**
 * Refusals decided inside a domain (a teacher writing in a group they do not teach, a closed
 * period's author) are denials too: recorded like the policy's own.
 */
@Injectable()
export class DomainDenialRecorder implements NestInterceptor {
  constructor(private readonly access: AccessService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<RequestWithAccess>();
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (!(error instanceof DomainError) || error.status !== 403 || !request.access) return throwError(() => error);
        const action = (Reflect.getMetadata(ACCESS_RULE, context.getHandler()) as AccessRule | undefined)?.action ?? 'unknown';
        const { principal, school } = request.access;
        return from(this.access.recordDenial(request, principal, action, error.message, str(request.params?.schoolId), school)).pipe(
          mergeMap(() => throwError(() => error)),
        );
      }),
    );
  }
}
