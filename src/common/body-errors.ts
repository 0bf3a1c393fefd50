import type { NextFunction, Request, Response } from 'express';
import { AppError } from './app-error';

/**
 * Express' body parser reports a too-large or malformed body with a `type`; this turns those
 * into API.md errors before Nest would make a bare 400 of them. Mounted right after the parser.
 */
export function bodyErrors(error: unknown, _request: Request, _response: Response, next: NextFunction): void {
  next(toAppError(error) ?? error);
}

function toAppError(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  switch ((error as { type: unknown }).type) {
    case 'entity.too.large':
      return new AppError(413, 'PAYLOAD_TOO_LARGE', 'The request body is larger than 256 KiB.');
    case 'entity.parse.failed':
      return new AppError(400, 'VALIDATION_FAILED', 'The request body is not valid JSON.', [{ field: 'body', reason: 'must be valid JSON' }]);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'The request body must be UTF-8 JSON.');
    default:
      return undefined;
  }
}
