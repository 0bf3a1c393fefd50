/** A report as rows and columns: what CSV, XLSX and PDF print. Pure data, no format in it. */
export type Cell = string | number | null;

export interface ReportTable {
  /** The sheet's name in a workbook (≤ 31 characters), the section's heading in a PDF. */
  title: string;
  columns: string[];
  rows: Cell[][];
  /**
   * The formats it goes into (all when left out): a long, machine-friendly form of what the other
   * tables show is for the CSV (and a workbook when small); the PDF prints the readable tables.
   */
  in?: readonly Exclude<ReportFormat, 'json'>[];
}

export interface ReportDocument {
  /** The file's name without extension, ASCII (Content-Disposition). */
  fileName: string;
  title: string;
  subtitle: string[];
  /** The first of them a format takes is the report's main table there (the one a CSV holds). */
  tables: ReportTable[];
}

/** The tables a format takes, in order. */
export const tablesFor = (document: ReportDocument, format: Exclude<ReportFormat, 'json'>): ReportTable[] => document.tables.filter((table) => !table.in || table.in.includes(format));

export const REPORT_FORMATS = ['json', 'csv', 'xlsx', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<Exclude<ReportFormat, 'json'>, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
};

/** `?format=` first, else the Accept header's first known type, else JSON. */
export function negotiateFormat(query: string | undefined, accept: string | undefined): ReportFormat {
  if (query) return query as ReportFormat;
  for (const part of (accept ?? '').split(',')) {
    const type = part.split(';')[0].trim().toLowerCase();
    if (type === 'text/csv') return 'csv';
    if (type === CONTENT_TYPES.xlsx) return 'xlsx';
    if (type === 'application/pdf') return 'pdf';
    if (type === 'application/json') return 'json';
  }
  return 'json';
}
