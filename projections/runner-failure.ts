import { formatPosition, Position } from '../src/event-store/position';
import { sqlState } from '../src/database/sql-pool';

/** A projector threw on the events of a batch: code must change, so retrying will not help soon. */
export class ViewFoldError extends Error {
  constructor(
    readonly projection: string,
    readonly after: Position,
    readonly upTo: Position,
    readonly thrown: unknown,
  ) {
    super(`${projection} could not fold the events after ${formatPosition(after)} up to ${formatPosition(upTo)}: ${(thrown as Error)?.message ?? String(thrown)}`);
  }
}

/** A rebuild whose generation another, newer rebuild of the same views replaced. */
export class RebuildSuperseded extends Error {
  constructor(readonly generation: number) {
    super(`the rebuild into generation ${generation} was replaced by a newer one`);
  }
}

/** What /health says about the runner's last error: plain words, never the driver's text. */
export interface FailureReport {
  readonly reason: string;
  /** A projector error: only new code fixes it. Anything else (the database) may pass by itself. */
  readonly permanent: boolean;
}

const CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/** Classifies an error of the runner for operators (the error itself goes to the log). */
export function describeFailure(error: unknown): FailureReport {
  if (error instanceof ViewFoldError) {
    return {
      reason: `the ${error.projection} view could not fold the events after position ${formatPosition(error.after)} (a projector error: see the log)`,
      permanent: true,
    };
  }
  const code = sqlState(error);
  const message = error instanceof Error ? error.message : '';
  // Class 08: connection exceptions; 57P01-03: the server shut the session (pg_terminate_backend, a restart).
  if ((code && (code.startsWith('08') || /^57P0[1-3]$/.test(code) || CONNECTION_CODES.has(code))) || /connection (terminated|ended|closed)|terminating connection|Connection terminated/i.test(message)) {
    return { reason: 'the connection to the database was lost', permanent: false };
  }
  if (code && /^[0-9A-Z]{5}$/.test(code)) return { reason: `the database refused a statement of the views (SQLSTATE ${code})`, permanent: false };
  return { reason: 'the views stopped on an unexpected error (see the log)', permanent: false };
}

/** Exponential back-off with jitter: about base·2^(attempt-1), at most `max`, between half and all of it. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
