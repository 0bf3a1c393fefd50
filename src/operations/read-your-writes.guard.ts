import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ProjectionRunner } from '../../projections/projection-runner';
import { notYetConsistent, validationFailed } from '../common/app-error';
import type { HttpRequest } from '../common/http';
import { parsePosition } from '../event-store/position';

/** How long a read waits for the views to reach `atLeast` before answering 503. */
export const AT_LEAST_WAIT_MS = 5000;

const READS_VIEWS = 'zhurnal:reads-views';

/**
 * The views a GET route reads (projection names), next to its `@Allow`: `?atLeast=` waits for
 * those only, so a view being rebuilt or behind holds back only the routes that read it.
 * `@ReadsViews()` with none: the route reads streams (caught up from their tails on `atLeast`, see
 * docs/architecture.md "Freshness of reads") and waits for no view. A route without it waits for
 * every view.
 */
export const ReadsViews = (...views: string[]) => SetMetadata(READS_VIEWS, views);

/** The views a handler declared, or undefined when it declared none (then: every view). */
export const viewsReadBy = (handler: object): readonly string[] | undefined => Reflect.getMetadata(READS_VIEWS, handler) as string[] | undefined;

/**
 * `GET …?atLeast=<position>` answers only once the views the route reads include that write, so a
 * client reads its own writes. The last global guard (src/app.ts adds it after the token and access
 * guards), so a caller is known and allowed before it may make the service wait; the query DTOs
 * accept the parameter. A guard, not an interceptor: see write-route.ts.
 */
@Injectable()
export class ReadYourWritesGuard implements CanActivate {
  constructor(
    private readonly runner: ProjectionRunner,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const token = request.method === 'GET' ? request.query?.atLeast : undefined;
    if (token === undefined) return true;
    const position = typeof token === 'string' ? parsePosition(token) : null;
    if (!position) {
      throw validationFailed([{ field: 'atLeast', reason: 'must be a position returned by a write' }]);
    }
    const views = this.reflector.get<string[] | undefined>(READS_VIEWS, context.getHandler());
    if (!(await this.runner.waitFor(position, AT_LEAST_WAIT_MS, views))) throw notYetConsistent(1);
    return true;
  }
}
