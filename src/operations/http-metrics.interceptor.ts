import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable, tap } from 'rxjs';
import { Metrics } from './metrics';

/** Times every request by its route pattern (never the raw path: ids would explode the labels). */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: Metrics) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const stop = this.metrics.httpDuration.startTimer({ method: request.method });
    const route = () => (request.route as { path?: string } | undefined)?.path ?? 'unmatched';
    return next.handle().pipe(
      tap({
        next: () => stop({ route: route(), status: String(http.getResponse<Response>().statusCode) }),
        error: (error: { status?: number; getStatus?: () => number }) =>
          stop({ route: route(), status: String(error.getStatus?.() ?? error.status ?? 500) }),
      }),
    );
  }
}
