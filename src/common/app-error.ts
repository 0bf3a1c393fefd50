/** A field and what is wrong with it, as the client sees it (`periods.0.startsOn`). */
export interface FieldProblem {
  readonly field: string;
  readonly reason: string;
}

/** Every error a client may see: an HTTP status, a stable code, and plain words. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly FieldProblem[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export const validationFailed = (details: readonly FieldProblem[], message = 'The request is not valid.') =>
  new AppError(400, 'VALIDATION_FAILED', message, details);

export const notYetConsistent = (seconds = 1) =>
  new AppError(503, 'NOT_YET_CONSISTENT', 'The views have not caught up with that write yet. Try again shortly.', [], {
    'Retry-After': String(seconds),
  });
