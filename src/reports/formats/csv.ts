import { Cell, ReportDocument, tablesFor } from './report-document';

/** The delimiter Russian Excel expects (its list separator is `;`, the decimal one `,`). */
export const CSV_DELIMITER = ';';

export const CSV_DELIMITERS = { semicolon: ';', comma: ',', tab: '\t' } as const;
export type CsvDelimiterName = keyof typeof CSV_DELIMITERS;

const quoted = (cell: Cell, delimiter: string): string => {
  if (cell === null) return '';
  // A decimal comma where the fields are not comma-separated (Russian Excel reads it as a number).
  const text = typeof cell === 'number' ? (delimiter === ',' ? String(cell) : String(cell).replace('.', ',')) : cell;
  return /["\r\n]/.test(text) || text.includes(delimiter) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** Rows as CSV lines (each ending in CRLF), no BOM: for a file written piece by piece. */
export const csvLines = (rows: readonly Cell[][], delimiter = CSV_DELIMITER): string => rows.map((row) => `${row.map((cell) => quoted(cell, delimiter)).join(delimiter)}\r\n`).join('');

/** The main table as CSV (RFC 4180 quoting), UTF-8 with a BOM so Excel reads the Cyrillic right; decimals with a comma unless it separates the fields. */
export function toCsv(document: ReportDocument, delimiter = CSV_DELIMITER): Buffer {
  const [table] = tablesFor(document, 'csv');
  const lines = [table.columns, ...table.rows].map((row) => row.map((cell) => quoted(cell, delimiter)).join(delimiter));
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}
