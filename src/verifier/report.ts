/** What a verification checked and what it could not, as lines for a person to read. */

export interface VerifyOptions {
  /** The log's verifier keys (vkey text), obtained independently of the data being verified. */
  keys?: readonly string[];
  /** Trusted witnesses' cosignature verifier keys. */
  witnesses?: readonly string[];
  /** Distinct trusted witnesses that must cosign; defaults to all of those given. */
  quorum?: number;
  /** Each check as it passes, one line each (the same lines end up in the report). */
  onCheck?: (line: string) => void;
}

export interface Report {
  /** What was checked, one line each. */
  checks: string[];
  /** What was not checked, or was checked only against data from the same source. */
  warnings: string[];
}

/** Collects a verification's check and warning lines, passing each on as it happens. */
export function reporter(options: Pick<VerifyOptions, 'onCheck'>): { check(line: string): void; warn(line: string): void; result(): Report } {
  const checks: string[] = [];
  const warnings: string[] = [];
  return {
    check(line: string): void {
      checks.push(line);
      options.onCheck?.(line);
    },
    warn(line: string): void {
      warnings.push(line);
      options.onCheck?.(`WARNING: ${line}`);
    },
    result(): Report {
      return { checks, warnings };
    },
  };
}

