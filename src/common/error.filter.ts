import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { HttpReply as Response } from './http';
import { ConcurrencyError } from '../event-store/event-store.errors';
import { AppError } from './app-error';
import { DomainError } from './domain-error';
import { IdempotentReplay } from '../operations/idempotency.interceptor';
import { bodyRefusal } from './json-bodies';

interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details: { field: string; reason: string }[];
}

const HTTP_CODES: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  429: 'TOO_MANY_REQUESTS',
};

/** The one place errors become HTTP answers: API.md's shape, plain words, no internals. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof IdempotentReplay) {
      void response.status(200).send(exception.response);
      return;
    }
    const { body, headers } = this.toAnswer(exception);
    if (body.statusCode >= 500 && body.code === 'INTERNAL') {
      this.logger.error({ err: exception }, 'request failed inside the service');
    }
    void response.headers(headers).status(body.statusCode).send(body);
  }

  private toAnswer(exception: unknown): { body: ErrorBody; headers: Record<string, string> } {
    if (exception instanceof AppError) {
      return {
        body: { statusCode: exception.status, code: exception.code, message: exception.message, details: [...exception.details] },
        headers: { ...exception.headers },
      };
    }
    if (exception instanceof DomainError) {
      const details = exception.field ? [{ field: exception.field, reason: exception.message.replace(`${exception.field} `, '') }] : [];
      return { body: { statusCode: exception.status, code: exception.code, message: exception.message, details }, headers: {} };
    }
    if (exception instanceof ConcurrencyError) {
      return {
        body: { statusCode: 409, code: exception.code, message: 'Someone else changed this first. Reload and try again.', details: [] },
        headers: {},
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const refusal = bodyRefusal(status);
      if (refusal) return this.toAnswer(refusal);
      const code = HTTP_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'ERROR');
      const message = status === 404 ? 'There is no such resource.' : exception.message;
      return { body: { statusCode: status, code, message, details: [] }, headers: {} };
    }
    return {
      body: { statusCode: 500, code: 'INTERNAL', message: 'Something went wrong on our side. It has been logged.', details: [] },
      headers: {},
    };
  }
}
