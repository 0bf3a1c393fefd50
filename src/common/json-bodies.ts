import type { FastifyInstance } from 'fastify';
import { AppError } from './app-error';

/** Larger bodies get 413 PAYLOAD_TOO_LARGE (API.md). */
export const BODY_LIMIT_BYTES = 256 * 1024;

const notJson = () => new AppError(400, 'VALIDATION_FAILED', 'The request body is not valid JSON.', [{ field: 'body', reason: 'must be valid JSON' }]);

/**
 * The JSON body parser: an empty body is `{}`, only an object or an array is accepted (as
 * Express' strict parser did), and a malformed body is an API.md 400 with the field, not
 * Fastify's own answer. Prototype poisoning is refused by Fastify's secure parser underneath.
 */
export function useJsonBodies(fastify: FastifyInstance): void {
  const secureParse = fastify.getDefaultJsonParser('error', 'error');
  // JSON only: any other body is 415 (a text/plain one would reach validation as a bare string).
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, {});
    if (text[0] !== '{' && text[0] !== '[') return done(notJson(), undefined);
    secureParse(request, text, (error: Error | null, value?: unknown) => (error ? done(notJson(), undefined) : done(null, value)));
  });
}

/** Fastify's own refusals of a body (size, media type), in API.md's words. */
export function bodyRefusal(status: number): AppError | undefined {
  if (status === 413) return new AppError(413, 'PAYLOAD_TOO_LARGE', 'The request body is larger than 256 KiB.');
  if (status === 415) return new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'The request body must be UTF-8 JSON (Content-Type: application/json).');
  return undefined;
}
