/** A report as rows and columns: what CSV, XLSX and PDF print. Pure data, no format in it. */
export type Cell = string | number | null;

export interface ReportTable {
  /** The sheet's name in a workbook (≤ 31 characters), the section's heading in a PDF. */
  title: string;
  columns: string[];
  rows: Cell[][];
  /** False: in the workbook and the CSV only (a long, machine-friendly form the PDF prints otherwise). */
  printed?: boolean;
}

export interface ReportDocument {
  /** The file's name without extension, ASCII (Content-Disposition). */
  fileName: string;
  title: string;
  subtitle: string[];
  /** The first is the report's main table: the one a CSV holds. */
  tables: ReportTable[];
}

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
