/**
 * A place in the global log. Every adapter orders its log by a pair of integers:
 * PostgreSQL by (transaction id, sequence), EventStoreDB by (commit, prepare).
 * Serialised as "major.minor"; clients treat it as an opaque string.
 */
export interface Position {
  readonly major: bigint;
  readonly minor: bigint;
}

export const START: Position = { major: 0n, minor: 0n };

const POSITION_PATTERN = /^(\d{1,20})\.(\d{1,20})$/;

export function formatPosition(position: Position): string {
  return `${position.major}.${position.minor}`;
}

/** Parses a position token; returns null for anything that is not one. */
export function parsePosition(token: string): Position | null {
  const match = POSITION_PATTERN.exec(token);
  if (!match) return null;
  return { major: BigInt(match[1]), minor: BigInt(match[2]) };
}

export function comparePositions(a: Position, b: Position): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  return 0;
}
