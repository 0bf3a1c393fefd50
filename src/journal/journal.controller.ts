import { asDate } from '../common/view-query';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { HttpReply as Response, HttpRequest as Request } from '../common/http';
import { Allow, Authorized, CurrentAccess, str } from '../auth/access';
import { validationFailed } from '../common/app-error';
import { CorrelationId, Ids, WriteAnswer } from '../common/write-answer';
import { OperationIds } from '../event-store/operation-ids';
import { JournalCommand, LessonField } from './domain/journal.decider';
import { WORK_KINDS, WorkKind } from './domain/journal.types';
import {
  CorrectAttendanceDto,
  CorrectLessonDto,
  CorrectMarkDto,
  DailyAbsenceDto,
  DiaryQueryDto,
  FinalMarkDto,
  LockDto,
  PeriodViewQueryDto,
  RecordAttendanceDto,
  RecordLessonDto,
  RecordMarkDto,
  UnlockDto,
} from './dto/journal.dto';
import { JournalTarget, RecordDailyAbsence, WriteJournal } from './journal.commands';
import { JournalViews } from './journal-views';
import { WriteRoute } from '../operations/write-route';
import { ReadsViews } from '../operations/read-your-writes.guard';

const groupTarget = (request: Request) => ({ groupId: str(request.params.groupId) });

/** What a lesson correction's value (or its `before`, named by `name`) must be, by field. */
function lessonValue(field: LessonField, value: unknown, name = 'value'): string | string[] | null {
  const refuse = (reason: string) => validationFailed([{ field: name, reason }]);
  if (field === 'topic') {
    if (typeof value !== 'string' || !value.trim() || value.length > 2000) throw refuse('must be the topic, 1–2,000 characters');
    return value.trim();
  }
  if (field === 'homework') {
    if (value === null) return null;
    if (typeof value !== 'string' || value.length > 2000) throw refuse('must be the homework text (≤ 2,000 characters), or null for «Не задано»');
    return value.trim();
  }
  if (!Array.isArray(value) || value.some((kind) => !(WORK_KINDS as readonly unknown[]).includes(kind))) throw refuse(`must be a list of ${WORK_KINDS.join(', ')}`);
  return value as WorkKind[];
}

@ApiTags('journal')
@ApiBearerAuth()
@Controller('schools/:schoolId')
export class JournalController {
  constructor(
    private readonly commands: CommandBus,
    private readonly views: JournalViews,
  ) {}

  private write(
    access: Authorized,
    schoolId: string,
    correlationId: string,
    ids: OperationIds,
    target: JournalTarget,
    command: JournalCommand,
    createsEntity: string | null,
    answerId: string,
  ): Promise<WriteAnswer> {
    return this.commands.execute(new WriteJournal(access, schoolId, correlationId, ids, target, command, createsEntity, answerId));
  }

  @Post('groups/:groupId/lessons')
  @WriteRoute()
  @Allow('lesson.record', groupTarget)
  recordLesson(@Param('schoolId') schoolId: string, @Param('groupId') groupId: string, @Body() body: RecordLessonDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    const lessonId = ids.newId();
    const command: JournalCommand = {
      type: 'RecordLesson',
      lessonId,
      date: body.date,
      slot: body.slot,
      topic: body.topic,
      workKinds: body.workKinds ?? [],
      homework: body.homework ?? null,
      substitutesFor: body.substitutesFor ?? null,
    };
    return this.write(access, schoolId, correlationId, ids, { groupId, date: body.date }, command, lessonId, lessonId);
  }

  @Post('lessons/:lessonId/corrections')
  @WriteRoute()
  @Allow('journal.write')
  correctLesson(@Param('schoolId') schoolId: string, @Param('lessonId') lessonId: string, @Body() body: CorrectLessonDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    const before = body.before === undefined ? undefined : lessonValue(body.field, body.before, 'before');
    const command: JournalCommand = { type: 'CorrectLesson', lessonId, field: body.field, value: lessonValue(body.field, body.value), reason: body.reason, before };
    return this.write(access, schoolId, correlationId, ids, { entityId: lessonId }, command, null, lessonId);
  }

  @Post('lessons/:lessonId/marks')
  @WriteRoute()
  @Allow('journal.write')
  recordMark(@Param('schoolId') schoolId: string, @Param('lessonId') lessonId: string, @Body() body: RecordMarkDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    const markId = ids.newId();
    const command: JournalCommand = { type: 'RecordMark', markId, lessonId, studentId: body.studentId, value: body.value, workKind: body.workKind, weight: body.weight ?? 1 };
    return this.write(access, schoolId, correlationId, ids, { entityId: lessonId }, command, markId, markId);
  }

  @Post('marks/:markId/corrections')
  @WriteRoute()
  @Allow('journal.write')
  correctMark(@Param('schoolId') schoolId: string, @Param('markId') markId: string, @Body() body: CorrectMarkDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    return this.write(access, schoolId, correlationId, ids, { entityId: markId }, { type: 'CorrectMark', markId, value: body.value, reason: body.reason, before: body.before }, null, markId);
  }

  @Post('lessons/:lessonId/attendance')
  @WriteRoute()
  @Allow('journal.write')
  recordAttendance(@Param('schoolId') schoolId: string, @Param('lessonId') lessonId: string, @Body() body: RecordAttendanceDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    const attendanceId = ids.newId();
    const command: JournalCommand = { type: 'RecordAttendance', attendanceId, lessonId, studentId: body.studentId, code: body.code };
    return this.write(access, schoolId, correlationId, ids, { entityId: lessonId }, command, attendanceId, attendanceId);
  }

  @Post('attendance/:attendanceId/corrections')
  @WriteRoute()
  @Allow('journal.write')
  correctAttendance(
    @Param('schoolId') schoolId: string,
    @Param('attendanceId') attendanceId: string,
    @Body() body: CorrectAttendanceDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ) {
    return this.write(access, schoolId, correlationId, ids, { entityId: attendanceId }, { type: 'CorrectAttendance', attendanceId, code: body.code, reason: body.reason, before: body.before }, null, attendanceId);
  }

  @Post('classes/:classId/daily-absences')
  @WriteRoute()
  @Allow('daily-absence.record', (request) => ({ classId: str(request.params.classId) }))
  dailyAbsence(@Param('schoolId') schoolId: string, @Param('classId') classId: string, @Body() body: DailyAbsenceDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    return this.commands.execute(new RecordDailyAbsence(access, schoolId, correlationId, ids, classId, body.date, body.studentId, body.code));
  }

  @Post('groups/:groupId/final-marks')
  @WriteRoute()
  @Allow('final-mark.set', groupTarget)
  finalMark(@Param('schoolId') schoolId: string, @Param('groupId') groupId: string, @Body() body: FinalMarkDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    const command: JournalCommand = { type: 'SetFinalMark', studentId: body.studentId, value: body.value, reason: body.reason ?? null, before: body.before };
    return this.write(access, schoolId, correlationId, ids, { groupId, periodId: body.periodId }, command, null, body.studentId);
  }

  @Get('groups/:groupId/final-marks/suggestions')
  @Allow('final-mark.suggest', groupTarget)
  @ReadsViews('journal-grid', 'voiding-facts')
  suggestions(@Param('groupId') groupId: string, @Query() query: PeriodViewQueryDto, @CurrentAccess() { school }: Authorized) {
    return this.views.suggestions(school!, groupId, query.periodId, school!.settings.minMarksForAttestation, asDate(query.asOf));
  }

  @Post('groups/:groupId/periods/:periodId/lock')
  @WriteRoute()
  @HttpCode(201)
  @Allow('period.lock', groupTarget)
  lock(
    @Param('schoolId') schoolId: string,
    @Param('groupId') groupId: string,
    @Param('periodId') periodId: string,
    @Body() _body: LockDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ) {
    return this.write(access, schoolId, correlationId, ids, { groupId, periodId }, { type: 'LockPeriod' }, null, periodId);
  }

  @Post('groups/:groupId/periods/:periodId/unlock')
  @WriteRoute()
  @Allow('period.unlock', groupTarget)
  unlock(
    @Param('schoolId') schoolId: string,
    @Param('groupId') groupId: string,
    @Param('periodId') periodId: string,
    @Body() body: UnlockDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ) {
    return this.write(access, schoolId, correlationId, ids, { groupId, periodId }, { type: 'UnlockPeriod', reason: body.reason }, null, periodId);
  }

  @Get('groups/:groupId/journal')
  @Allow('journal.read', groupTarget)
  @ReadsViews('journal-grid', 'voiding-facts')
  async journal(@Param('groupId') groupId: string, @Query() query: PeriodViewQueryDto, @CurrentAccess() { school }: Authorized, @Req() request: Request, @Res() response: Response) {
    // Sent as built once (JsonBody): a grid is ~200 KB of JSON, serialising it was a large part of a read.
    await (await this.views.gridBody(school!, groupId, query.periodId, asDate(query.asOf))).send(request, response);
  }

  @Get('students/:studentId/diary')
  @Allow('diary.read', (request) => ({ studentId: str(request.params.studentId) }))
  @ReadsViews('journal-grid', 'diary', 'voiding-facts')
  async diary(@Param('studentId') studentId: string, @Query() query: DiaryQueryDto, @CurrentAccess() { school }: Authorized, @Req() request: Request, @Res() response: Response) {
    await (await this.views.diaryBody(school!, studentId, query.weekOf, asDate(query.asOf))).send(request, response);
  }
}
