import { Body, Controller, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { HttpRequest as Request } from '../common/http';
import { Allow, Authorized, CurrentAccess, str } from '../auth/access';
import { CLOCK, Clock } from '../common/clock';
import { dateIn } from '../common/time-zone';
import { ViewQueryDto, asDate } from '../common/view-query';
import { CorrelationId, Ids, WriteAnswer } from '../common/write-answer';
import { OperationIds } from '../event-store/operation-ids';
import { AcknowledgeDiaryDto, AcknowledgementsQueryDto, ExtractQueryDto, RecordConsentDto } from './dto/parents.dto';
import { AcknowledgeDiary, RecordConsent } from './parents.commands';
import { ParentsViews } from './parents-views';
import { WriteRoute } from '../operations/write-route';
import { ReadsViews } from '../operations/read-your-writes.guard';

const classTarget = (request: Request) => ({ classId: str(request.params.classId) });
const studentTarget = (request: Request) => ({ studentId: str(request.params.studentId) });

@ApiTags('parents')
@ApiBearerAuth()
@Controller('schools/:schoolId')
export class ParentsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly views: ParentsViews,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('consents')
  @WriteRoute()
  @Allow('consent.record', (request) => ({ studentId: str(request.body?.studentId), parentId: str(request.body?.parentId) }))
  recordConsent(@Param('schoolId') schoolId: string, @Body() body: RecordConsentDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds): Promise<WriteAnswer> {
    return this.commands.execute(new RecordConsent(access, schoolId, correlationId, ids, body.parentId, body.studentId, body.granted, body.form));
  }

  @Post('students/:studentId/diary/acknowledgements')
  @WriteRoute()
  @Allow('diary.acknowledge', studentTarget)
  acknowledge(
    @Param('schoolId') schoolId: string,
    @Param('studentId') studentId: string,
    @Body() body: AcknowledgeDiaryDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ): Promise<WriteAnswer> {
    return this.commands.execute(new AcknowledgeDiary(access, schoolId, correlationId, ids, studentId, body.upTo, body.form ?? null, body.parentId ?? null));
  }

  @Get('classes/:classId/acknowledgements')
  @Allow('acknowledgement.read', classTarget)
  @ReadsViews('acknowledgements', 'journal-grid', 'diary', 'voiding-facts')
  acknowledgements(@Param('classId') classId: string, @Query() query: AcknowledgementsQueryDto, @CurrentAccess() { school }: Authorized) {
    return this.views.acknowledgements(school!, classId, query.upTo ?? this.today(school!.timezone, query.asOf), asDate(query.asOf));
  }

  /** Extension of API.md (docs/api-extensions.md): consents of the class, and who needs a paper extract. */
  @Get('classes/:classId/consents')
  @Allow('consent.read', classTarget)
  @ReadsViews('voiding-facts')
  consents(@Param('classId') classId: string, @Query() query: ViewQueryDto, @CurrentAccess() { school }: Authorized) {
    return this.views.consents(school!, classId, this.today(school!.timezone, query.asOf), asDate(query.asOf));
  }

  /** Extension of API.md (docs/api-extensions.md): the paper extract's data for one student. */
  @Get('students/:studentId/extract')
  @Allow('extract.read', studentTarget)
  @ReadsViews('journal-grid', 'diary', 'voiding-facts')
  extract(@Param('studentId') studentId: string, @Query() query: ExtractQueryDto, @CurrentAccess() { school }: Authorized) {
    return this.views.extract(school!, studentId, query.from, query.to, asDate(query.asOf));
  }

  /** The school's today, or the day of `asOf` there. */
  private today(timezone: string, asOf?: string): string {
    return dateIn(timezone, asOf ? new Date(asOf) : this.clock.now());
  }
}
