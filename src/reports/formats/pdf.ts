import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { Cell, ReportDocument, ReportTable, tablesFor } from './report-document';

/** DejaVu Sans (shipped in the `dejavu-fonts-ttf` package): Cyrillic, and nothing fetched at run time. */
const FONT = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const FONT_BOLD = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');

/**
 * What every page's footer carries so paper and the electronic copy can be checked against each
 * other (seed 003 §15–16): the audit ledger's checkpoint (its text lines, and as a QR code the
 * whole signed note), or, before the ledger has one, the log position and a SHA-256 of the data.
 */
export interface Attestation {
  lines: string[];
  /** The text the QR code holds. */
  qr: string;
}

/** pdfkit's opened image (its typings leave `openImage` out): placed by reference, decoded once. */
type QrImage = { readonly width: number };

const MARGIN = 36;
const FOOTER_HEIGHT = 86;
const FONT_SIZE = 8;
const CELL_PADDING = 3;

/** A4 landscape, the tables one after another, a header row repeated on each page, the attestation in every footer. */
export async function toPdf(document: ReportDocument, attestation: Attestation, generatedAt: string): Promise<Buffer> {
  const qr = await QRCode.toBuffer(attestation.qr, { type: 'png', margin: 0, width: 160, errorCorrectionLevel: 'M' });
  const doc = new PDFDocument({ size: 'A4', layout: 'landscape', margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN + FOOTER_HEIGHT }, bufferPages: true, info: { Title: document.title, Creator: 'Журнал' } });
  doc.registerFont('body', FONT);
  doc.registerFont('bold', FONT_BOLD);
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.font('bold').fontSize(14).text(document.title);
  doc.font('body').fontSize(9);
  for (const line of document.subtitle) doc.text(line);
  doc.moveDown(0.5);
  for (const table of tablesFor(document, 'pdf')) drawTable(doc, table);

  // Decoded once and placed on every page (a Buffer passed to image() is decoded again each time).
  const qrImage = (doc as unknown as { openImage(src: Buffer): QrImage }).openImage(qr);
  const range = doc.bufferedPageRange();
  for (let page = range.start; page < range.start + range.count; page++) {
    doc.switchToPage(page);
    drawFooter(doc, attestation, qrImage, `${generatedAt} · стр. ${page + 1} из ${range.count}`);
  }
  doc.end();
  return done;
}

function drawTable(doc: PDFKit.PDFDocument, table: ReportTable): void {
  const width = doc.page.width - MARGIN * 2;
  const widths = columnWidths(doc, table, width);
  const bottom = () => doc.page.height - doc.page.margins.bottom;
  doc.font('bold').fontSize(10);
  if (doc.y + 40 > bottom()) doc.addPage();
  doc.text(table.title, MARGIN, doc.y);
  doc.moveDown(0.3);
  const header = () => drawRow(doc, table.columns, widths, true);
  header();
  for (const row of table.rows) {
    const height = rowHeight(doc, row, widths, false);
    if (doc.y + height > bottom()) {
      doc.addPage();
      header();
    }
    drawRow(doc, row, widths, false);
  }
  doc.x = MARGIN;
  doc.moveDown(1);
}

/** Each column as wide as its longest cell (and its header's longest word), scaled to fill the page. */
function columnWidths(doc: PDFKit.PDFDocument, table: ReportTable, width: number): number[] {
  doc.font('body').fontSize(FONT_SIZE);
  const natural = table.columns.map((header, i) => {
    doc.font('bold');
    const headerWord = Math.max(...header.split(/\s+/).map((word) => doc.widthOfString(word)));
    doc.font('body');
    const widest = Math.max(0, ...table.rows.map((row) => doc.widthOfString(text(row[i] ?? null))));
    return Math.min(width * 0.35, Math.max(headerWord, widest)) + CELL_PADDING * 2 + 1;
  });
  const sum = natural.reduce((a, b) => a + b, 0);
  return natural.map((w) => (w * width) / sum);
}

const text = (cell: Cell) => (cell === null ? '' : typeof cell === 'number' ? String(cell).replace('.', ',') : cell);

/** A cell's text fits on one line: most do, and measuring a width is far cheaper than laying out a wrap. */
const fitsOneLine = (doc: PDFKit.PDFDocument, value: string, width: number) => !value.includes('\n') && doc.widthOfString(value) <= width - CELL_PADDING * 2;

function rowHeight(doc: PDFKit.PDFDocument, row: Cell[], widths: number[], bold: boolean): number {
  doc.font(bold ? 'bold' : 'body').fontSize(FONT_SIZE);
  const line = doc.currentLineHeight(true);
  let height = line;
  row.forEach((cell, i) => {
    const value = text(cell);
    if (value === '' || fitsOneLine(doc, value, widths[i])) return;
    height = Math.max(height, doc.heightOfString(value, { width: widths[i] - CELL_PADDING * 2 }));
  });
  return height + CELL_PADDING * 2;
}

function drawRow(doc: PDFKit.PDFDocument, row: Cell[], widths: number[], bold: boolean): void {
  const height = rowHeight(doc, row, widths, bold);
  const top = doc.y;
  const total = widths.reduce((a, b) => a + b, 0);
  if (bold) doc.rect(MARGIN, top, total, height).fill('#eeeeee');
  // The row's frame and its column rules in one path: one stroke a row, not one a cell.
  doc.lineWidth(0.5).rect(MARGIN, top, total, height);
  let x = MARGIN;
  for (let i = 0; i < widths.length - 1; i++) {
    x += widths[i];
    doc.moveTo(x, top).lineTo(x, top + height);
  }
  doc.stroke('#999999');
  doc.fillColor('black').font(bold ? 'bold' : 'body').fontSize(FONT_SIZE);
  x = MARGIN;
  row.forEach((cell, i) => {
    const value = text(cell);
    if (value !== '') {
      const oneLine = fitsOneLine(doc, value, widths[i]);
      doc.text(value, x + CELL_PADDING, top + CELL_PADDING, oneLine ? { lineBreak: false } : { width: widths[i] - CELL_PADDING * 2 });
    }
    x += widths[i];
  });
  doc.x = MARGIN;
  doc.y = top + height;
}

function drawFooter(doc: PDFKit.PDFDocument, attestation: Attestation, qr: QrImage, pageLine: string): void {
  const bottomMargin = doc.page.margins.bottom;
  // Writing inside the bottom margin: let pdfkit not break the page for it.
  doc.page.margins.bottom = 0;
  const top = doc.page.height - MARGIN - FOOTER_HEIGHT + 8;
  const qrSize = FOOTER_HEIGHT - 10;
  doc.image(qr as unknown as Buffer, doc.page.width - MARGIN - qrSize, top, { width: qrSize, height: qrSize });
  doc.font('body').fontSize(7).fillColor('black');
  const width = doc.page.width - MARGIN * 2 - qrSize - 10;
  doc.text(attestation.lines.join('\n'), MARGIN, top, { width, lineGap: 1 });
  doc.text(pageLine, MARGIN, top + qrSize - 8, { width });
  doc.page.margins.bottom = bottomMargin;
}
