/**
 * The one error a verifier throws when the data does not check out. `leafIndex` is set when the
 * failure can be pinned to a leaf (the first one at which the log and the data disagree), so a
 * caller can report it without parsing the message.
 */
export class VerificationError extends Error {
  constructor(
    message: string,
    readonly leafIndex?: bigint,
  ) {
    super(message);
    this.name = 'VerificationError';
  }
}

/** Throws a VerificationError; a statement form keeps the checks one line each. */
export function fail(message: string, leafIndex?: bigint): never {
  throw new VerificationError(message, leafIndex);
}
