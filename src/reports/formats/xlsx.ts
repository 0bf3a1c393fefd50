import ExcelJS from 'exceljs';
import { PassThrough } from 'node:stream';
import { ReportDocument, tablesFor } from './report-document';

/**
 * One worksheet per table: the header row, then the rows as they are (numbers stay numbers).
 * Written with exceljs' streaming writer: each row is committed as it is added, so a long table
 * (a year's journal is ~26,000 rows a class) never sits in the workbook model.
 */
export async function toXlsx(document: ReportDocument): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    out.on('error', reject);
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  workbook.creator = 'Журнал';
  workbook.title = document.title;
  workbook.subject = document.subtitle.join('; ');
  const used = new Set<string>();
  for (const table of tablesFor(document, 'xlsx')) {
    const sheet = workbook.addWorksheet(sheetName(table.title, used), { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = table.columns.map((header, index) => {
      let widest = header.length;
      for (const row of table.rows) {
        const cell = row[index];
        const length = cell === null ? 0 : typeof cell === 'number' ? 6 : cell.length;
        if (length > widest) widest = length;
      }
      return { width: Math.min(60, Math.max(6, widest + 2)) };
    });
    const header = sheet.addRow(table.columns);
    header.font = { bold: true };
    header.commit();
    for (const row of table.rows) sheet.addRow(row.map((cell) => cell ?? '')).commit();
    sheet.commit();
  }
  await workbook.commit();
  await ended;
  return Buffer.concat(chunks);
}

/** Excel's rules: ≤ 31 characters, none of []:*?/\, unique in the book. */
function sheetName(title: string, used: Set<string>): string {
  const base = title.replace(/[[\]:*?/\\]/g, ' ').slice(0, 28) || 'Лист';
  let name = base;
  for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base} ${n}`;
  used.add(name.toLowerCase());
  return name;
}
