import { Cell, ReportDocument, tablesFor } from './report-document';

/** The delimiter Russian Excel expects (its list separator is `;`, the decimal one `,`). */
export const CSV_DELIMITER = ';';

const quoted = (cell: Cell, delimiter: string): string => {
  if (cell === null) return '';
  const text = typeof cell === 'number' ? String(cell).replace('.', ',') : cell;
  return /["\r\n]/.test(text) || text.includes(delimiter) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** The main table as CSV (RFC 4180 quoting), UTF-8 with a BOM so Excel reads the Cyrillic right; decimals with a comma. */
export function toCsv(document: ReportDocument, delimiter = CSV_DELIMITER): Buffer {
  const [table] = tablesFor(document, 'csv');
  const lines = [table.columns, ...table.rows].map((row) => row.map((cell) => quoted(cell, delimiter)).join(delimiter));
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}
