import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { from, Observable, switchMap } from 'rxjs';
import { ProjectionRunner } from '../../projections/projection-runner';
import { notYetConsistent, validationFailed } from '../common/app-error';
import { parsePosition } from '../event-store/position';

/** How long a read waits for the views to reach `atLeast` before answering 503. */
export const AT_LEAST_WAIT_MS = 5000;

/**
 * `GET …?atLeast=<position>` answers only once the views include that write, so a client reads
 * its own writes. Runs before every GET handler; the query DTOs accept the parameter.
 */
@Injectable()
export class ReadYourWritesInterceptor implements NestInterceptor {
  constructor(private readonly runner: ProjectionRunner) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const token = request.method === 'GET' ? request.query?.atLeast : undefined;
    if (token === undefined) return next.handle();
    const position = typeof token === 'string' ? parsePosition(token) : null;
    if (!position) {
      throw validationFailed([{ field: 'atLeast', reason: 'must be a position returned by a write' }]);
    }
    return from(this.runner.waitFor(position, AT_LEAST_WAIT_MS)).pipe(
      switchMap((reached) => {
        if (!reached) throw notYetConsistent(1);
        return next.handle();
      }),
    );
  }
}
