import ExcelJS from 'exceljs';
import { ReportDocument } from './report-document';

/** One worksheet per table: the header row, then the rows as they are (numbers stay numbers). */
export async function toXlsx(document: ReportDocument): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Журнал';
  workbook.title = document.title;
  workbook.subject = document.subtitle.join('; ');
  const used = new Set<string>();
  for (const table of document.tables) {
    const sheet = workbook.addWorksheet(sheetName(table.title, used));
    sheet.addRow(table.columns).font = { bold: true };
    for (const row of table.rows) sheet.addRow(row.map((cell) => cell ?? ''));
    sheet.columns.forEach((column, index) => {
      const widest = Math.max(...[table.columns[index], ...table.rows.map((row) => row[index])].map((cell) => String(cell ?? '').length));
      column.width = Math.min(60, Math.max(6, widest + 2));
    });
    sheet.views = [{ state: 'frozen', ySplit: 1 }];
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** Excel's rules: ≤ 31 characters, none of []:*?/\, unique in the book. */
function sheetName(title: string, used: Set<string>): string {
  const base = title.replace(/[[\]:*?/\\]/g, ' ').slice(0, 28) || 'Лист';
  let name = base;
  for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base} ${n}`;
  used.add(name.toLowerCase());
  return name;
}
