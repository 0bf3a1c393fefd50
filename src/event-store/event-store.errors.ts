/** The stream moved on since the caller read it. HTTP 409 CONCURRENT_MODIFICATION. */
export class ConcurrencyError extends Error {
  readonly code = 'CONCURRENT_MODIFICATION';
  constructor(
    readonly stream: string,
    readonly expected: number | 'any' | 'no-stream',
    readonly actual: number | null,
  ) {
    super(`stream ${stream} was changed by someone else (expected version ${expected}, found ${actual ?? 'unknown'})`);
  }
}

/** Some, but not all, of the event ids of an append are already stored: not a retry, a bug. */
export class IdempotencyConflictError extends Error {
  readonly code = 'EVENT_ID_REUSED';
  constructor(readonly stream: string, readonly eventIds: readonly string[]) {
    super(`event ids ${eventIds.join(', ')} are already stored with other content or in another append`);
  }
}
