/**
 * What a bench section hands back, how it is printed, and the statistics the sections share.
 * A row is a flat record: its keys are the table's columns, in the order they first appear.
 */
export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

/** Percentile `p` (0..100) of the values, nearest-rank on a sorted copy; NaN when empty. */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentileOfSorted(Float64Array.from(values).sort(), p);
}

function percentileOfSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Latency summary of one run: p50 and p99 in milliseconds. */
export function latencySummary(latenciesMs: ArrayLike<number>): { p50: number; p99: number } {
  const sorted = Float64Array.from(latenciesMs).sort();
  return { p50: percentileOfSorted(sorted, 50), p99: percentileOfSorted(sorted, 99) };
}

/** `a / b`, or null when either side is missing, so a ratio cell can read n/a. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** Ratios print as `1.23×`; others as they are. */
export const formatRatio = (value: number | null): string => (value === null ? 'n/a' : `${value.toFixed(2)}×`);

export function formatCell(value: Cell | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return 'n/a';
  if (Number.isInteger(value)) return groupThousands(String(value));
  const abs = Math.abs(value);
  if (abs >= 1000) return groupThousands(value.toFixed(0));
  if (abs >= 100) return value.toFixed(1);
  return value.toFixed(2);
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** The rows as a plain-text table: numbers right-aligned, text left-aligned. */
export function formatTable(rows: readonly Row[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const text = rows.map((row) => columns.map((column) => formatCell(row[column])));
  const numeric = columns.map((column) => rows.every((row) => row[column] === undefined || row[column] === null || typeof row[column] === 'number'));
  const widths = columns.map((column, i) => Math.max(column.length, ...text.map((cells) => cells[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  const header = line(columns);
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [header, rule, ...text.map(line)].join('\n');
}

/** One section's printed block: a title, the table, then its notes. */
export function formatSection(name: string, rows: readonly Row[], notes: readonly string[], seconds: number): string {
  const title = `== ${name} (${seconds.toFixed(1)} s) `;
  const parts = [title.padEnd(Math.max(title.length, 72), '='), formatTable(rows)];
  if (notes.length > 0) parts.push(notes.map((note) => `  * ${note}`).join('\n'));
  return parts.join('\n');
}
