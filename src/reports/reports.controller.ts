import { asDate } from '../common/view-query';
import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Allow, Authorized, CurrentAccess, str } from '../auth/access';
import type { HttpReply, HttpRequest } from '../common/http';
import { ReadsViews } from '../operations/read-your-writes.guard';
import { SchoolJournalQueryDto, ExtractReportQueryDto, FillingReportQueryDto, PeriodReportQueryDto, RangeReportQueryDto, ReportQueryDto } from './dto/report-query.dto';
import { CSV_DELIMITERS, csvLines, toCsv } from './formats/csv';
import { PassThrough } from 'node:stream';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { toPdf } from './formats/pdf';
import { CONTENT_TYPES, negotiateFormat, ReportDocument } from './formats/report-document';
import { toXlsx } from './formats/xlsx';
import { ParentsViews } from '../parents/parents-views';
import { PrintoutAttestation } from './printout-attestation';
import { classReportDocument, extractDocument, fillingDocument, groupReportDocument, journalEntriesTable, successDocument, journalPrintoutDocument, missedLessonsDocument, statementDocument, unsatisfactoryDocument } from './report-documents';
import { ReportViews } from './report-views';

const classTarget = (request: HttpRequest) => ({ classId: str(request.params.classId) });

/**
 * Reports of one class (SPEC §7, seed 004): JSON by default; `?format=csv|xlsx|pdf` or the Accept
 * header for the files the class teacher prints and hands to the deputy. Extension of API.md
 * (docs/api-extensions.md, "Reports").
 */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('schools/:schoolId/reports')
export class ReportsController {
  constructor(
    private readonly reports: ReportViews,
    private readonly attestation: PrintoutAttestation,
    private readonly parents: ParentsViews,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('classes/:classId/class-report')
  @Allow('report.class', classTarget)
  @ReadsViews('journal-grid', 'voiding-facts')
  async classReport(@Param('classId') classId: string, @Query() query: PeriodReportQueryDto, @CurrentAccess() { school }: Authorized, @Req() request: HttpRequest, @Res() reply: HttpReply) {
    const report = await this.reports.classReport(school!, classId, query.periodId, asDate(query.asOf));
    await this.send(request, reply, query, report, () => classReportDocument(report, school!.name));
  }

  /** A teacher's report of one of their groups (SPEC §7: a teacher for own groups): whoever may read the group's journal. */
  @Get('groups/:groupId/group-report')
  @Allow('journal.read', (request) => ({ groupId: str(request.params.groupId) }))
  @ReadsViews('journal-grid', 'voiding-facts')
  async groupReport(@Param('groupId') groupId: string, @Query() query: PeriodReportQueryDto, @CurrentAccess() { school }: Authorized, @Req() request: HttpRequest, @Res() reply: HttpReply) {
    const report = await this.reports.groupReport(school!, groupId, query.periodId, asDate(query.asOf));
    await this.send(request, reply, query, report, () => groupReportDocument(report, school!.name));
  }

  @Get('classes/:classId/statement')
  @Allow('report.class', classTarget)
  @ReadsViews('journal-grid', 'voiding-facts')
  async statement(@Param('classId') classId: string, @Query() query: ReportQueryDto, @CurrentAccess() { school }: Authorized, @Req() request: HttpRequest, @Res() reply: HttpReply) {
    const sheet = await this.reports.statement(school!, classId, asDate(query.asOf));
    await this.send(request, reply, query, sheet, () => statementDocument(sheet, school!.name));
  }

  /** The annual printout of the class journal (seed 003 §15), the ledger's checkpoint on every page of its PDF. */
  @Get('classes/:classId/journal')
  @Allow('report.class', classTarget)
  @ReadsViews('journal-grid', 'voiding-facts')
  async journal(@Param('classId') classId: string, @Query() query: ReportQueryDto, @CurrentAccess() { school }: Authorized, @Req() request: HttpRequest, @Res() reply: HttpReply) {
    const printout = await this.reports.journalPrintout(school!, classId, asDate(query.asOf));
    await this.send(request, reply, query, printout, () => journalPrintoutDocument(printout, school!.name));
  }

  @Get('classes/:classId/missed-lessons')
  @Allow('report.class', classTarget)
  @ReadsViews('journal-grid', 'voiding-facts')
  async missedLessons(@Param('classId') classId: string, @Query() query: RangeReportQueryDto, @CurrentAccess() { school }: Authorized, @Req() request: HttpRequest, @Res() reply: HttpReply) {
    const report = await this.reports.missedLessons(school!, classId, query, asDate(query.asOf));
    await this.send(request, reply, query, report, () => missedLessonsDocument(report, school!.name));
  }

  @Get('classes/:classId/unsatisfactory-marks')
  @Allow('report.class', classTarget)
  @ReadsViews('journal-grid', 'voiding-facts')
  async unsatisfactoryMarks(@Param('classId') classId: string, @Query() query: RangeReportQueryDto, @CurrentAccess() { school }: Authorized, @Req() request: HttpRequest, @Res() reply: HttpReply) {
    const report = await this.reports.unsatisfactoryMarks(school!, classId, query, asDate(query.asOf));
    await this.send(request, reply, query, report, () => unsatisfactoryDocument(report, school!.name));
  }

  /** The parent's paper extract (выписка) as a file: the same data as GET …/students/:studentId/extract. */
  @Get('students/:studentId/extract')
  @Allow('extract.read', (request) => ({ studentId: str(request.params.studentId) }))
  @ReadsViews('journal-grid', 'diary', 'voiding-facts')
  async extract(@Param('studentId') studentId: string, @Query() query: ExtractReportQueryDto, @CurrentAccess() { school }: Authorized, @Req() request: HttpRequest, @Res() reply: HttpReply) {
    const extract = await this.parents.extract(school!, studentId, query.from, query.to, asDate(query.asOf));
    await this.send(request, reply, query, extract, () => extractDocument(extract));
  }

  /** Success rate and knowledge quality of the school for a period, per class, subject and teacher. */
  @Get('success')
  @Allow('report.school')
  @ReadsViews('journal-grid', 'voiding-facts')
  async success(@Query() query: PeriodReportQueryDto, @CurrentAccess() { school }: Authorized, @Req() request: HttpRequest, @Res() reply: HttpReply) {
    const report = await this.reports.success(school!, query.periodId, asDate(query.asOf));
    await this.send(request, reply, query, report, () => successDocument(report, school!.name));
  }

  /**
   * The whole school's year of journals as one CSV (every class's long table, one after another),
   * streamed as each class is built: a school year is never held in memory at once.
   */
  @Get('journal')
  @Allow('report.school')
  @ReadsViews('journal-grid', 'voiding-facts')
  async schoolJournal(@Query() query: SchoolJournalQueryDto, @CurrentAccess() { school }: Authorized, @Res() reply: HttpReply) {
    const classes = Object.values(school!.classes)
      .filter((c) => !query.yearId || c.yearId === query.yearId)
      .sort((a, b) => a.name.localeCompare(b.name, 'ru'));
    const delimiter = CSV_DELIMITERS[query.delimiter ?? this.config.REPORT_CSV_DELIMITER];
    const body = new PassThrough();
    void reply.header('Content-Type', CONTENT_TYPES.csv).header('Content-Disposition', 'attachment; filename="school-journal.csv"').send(body);
    const write = async (text: string) => {
      if (!body.write(text)) await new Promise((resolve) => body.once('drain', resolve));
    };
    try {
      let header = true;
      for (const klass of classes) {
        const table = journalEntriesTable(await this.reports.journalPrintout(school!, klass.classId, asDate(query.asOf)));
        await write(`${header ? '\uFEFF' + csvLines([['Класс', ...table.columns]], delimiter) : ''}${csvLines(table.rows.map((row) => [klass.name, ...row]), delimiter)}`);
        header = false;
      }
      body.end();
    } catch (error) {
      // The status is sent already: the file is cut short, and the error is logged.
      body.destroy(error as Error);
    }
  }

  /** Completeness and timeliness of filling per teacher and group; a teacher gets their own rows. */
  @Get('filling')
  @Allow('report.filling', (request) => ({ teacherId: str(request.query.teacherId) }))
  @ReadsViews('voiding-facts')
  async filling(@Query() query: FillingReportQueryDto, @CurrentAccess() { school, actor }: Authorized, @Req() request: HttpRequest, @Res() reply: HttpReply) {
    const teacherId = actor.role === 'teacher' ? actor.accountId : query.teacherId;
    const report = await this.reports.filling(school!, { periodId: query.periodId, groupId: query.groupId, teacherId }, asDate(query.asOf));
    await this.send(request, reply, query, report, () => fillingDocument(report, school!.name));
  }

  private async send(request: HttpRequest, reply: HttpReply, query: ReportQueryDto, body: object, document: () => ReportDocument): Promise<void> {
    const format = negotiateFormat(query.format, request.headers.accept);
    if (format === 'json') {
      void reply.header('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(body));
      return;
    }
    const doc = document();
    const bytes = format === 'csv' ? toCsv(doc, CSV_DELIMITERS[query.delimiter ?? this.config.REPORT_CSV_DELIMITER]) : format === 'xlsx' ? await toXlsx(doc) : await toPdf(doc, await this.attestation.of(doc), new Date().toISOString());
    void reply.header('Content-Type', CONTENT_TYPES[format]).header('Content-Disposition', `attachment; filename="${doc.fileName}.${format}"`).send(bytes);
  }
}

