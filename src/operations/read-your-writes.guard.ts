import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ProjectionRunner } from '../../projections/projection-runner';
import { notYetConsistent, validationFailed } from '../common/app-error';
import type { HttpRequest } from '../common/http';
import { parsePosition } from '../event-store/position';

/** How long a read waits for the views to reach `atLeast` before answering 503. */
export const AT_LEAST_WAIT_MS = 5000;

/**
 * `GET …?atLeast=<position>` answers only once the views include that write, so a client reads
 * its own writes. The last global guard (src/app.ts adds it after the token and access guards),
 * so a caller is known and allowed before it may make the service wait; the query DTOs accept
 * the parameter. A guard, not an interceptor: see write-route.ts.
 */
@Injectable()
export class ReadYourWritesGuard implements CanActivate {
  constructor(private readonly runner: ProjectionRunner) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const token = request.method === 'GET' ? request.query?.atLeast : undefined;
    if (token === undefined) return true;
    const position = typeof token === 'string' ? parsePosition(token) : null;
    if (!position) {
      throw validationFailed([{ field: 'atLeast', reason: 'must be a position returned by a write' }]);
    }
    if (!(await this.runner.waitFor(position, AT_LEAST_WAIT_MS))) throw notYetConsistent(1);
    return true;
  }
}
