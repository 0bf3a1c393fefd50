/**
 * A rule refused the command. Pure domain code throws these; the error filter turns the status and
 * code into the HTTP answer. Plain words: the message reaches the user.
 */
export class DomainError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 422,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const invalid = (field: string, reason: string) => new DomainError(400, 'VALIDATION_FAILED', `${field} ${reason}`, field);
export const notFound = (what: string) => new DomainError(404, 'NOT_FOUND', `There is no such ${what}.`);
/** A well-formed id in the request that names nothing there is (API.md: 404), with the field that holds it. */
export const noSuch = (field: string, what: string) => new DomainError(404, 'NOT_FOUND', `${field} names no ${what}`, field);
export const conflict = (code: string, message: string) => new DomainError(409, code, message);
export const forbidden = (reason: string) => new DomainError(403, 'FORBIDDEN', reason);
