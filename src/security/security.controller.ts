import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Allow, Authorized, CurrentAccess } from '../auth/access';
import { authorize } from '../auth/domain/policy';
import { forbidden } from '../common/domain-error';
import { ViewQueryDto, asDate } from '../common/view-query';
import { CorrelationId, Ids } from '../common/write-answer';
import { OperationIds } from '../event-store/operation-ids';
import { CorrectionsAuditQueryDto, EventsAuditQueryDto, ListQueryDto, ReinstateDto, ReportIncidentDto } from './dto/security.dto';
import { ReinstateOperation, ReportCompromise } from './security.commands';
import { SecurityViews } from './security-views';
import { WriteRoute } from '../operations/write-route';
import { ReadsViews } from '../operations/read-your-writes.guard';


@ApiTags('security and audit')
@ApiBearerAuth()
@Controller('schools/:schoolId')
export class SecurityController {
  constructor(
    private readonly commands: CommandBus,
    private readonly views: SecurityViews,
  ) {}

  @Post('incidents')
  @WriteRoute()
  @Allow('incident.report')
  report(@Param('schoolId') schoolId: string, @Body() body: ReportIncidentDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    return this.commands.execute(new ReportCompromise(access, schoolId, correlationId, ids, body.accountId, body.effectiveFrom, body.suspectedSince, body.note));
  }

  @Get('incidents')
  @Allow('incident.read')
  @ReadsViews('incidents')
  incidents(@Query() query: ListQueryDto, @CurrentAccess() { school }: Authorized) {
    return this.views.incidents(school!, query, asDate(query.asOf));
  }

  @Get('incidents/:incidentId')
  @Allow('incident.read')
  @ReadsViews()
  incident(@Param('incidentId') incidentId: string, @Query() query: ViewQueryDto, @CurrentAccess() { school }: Authorized) {
    return this.views.incident(school!, incidentId, asDate(query.asOf));
  }

  @Post('incidents/:incidentId/reinstatements')
  @WriteRoute()
  @Allow('incident.reinstate')
  reinstate(
    @Param('schoolId') schoolId: string,
    @Param('incidentId') incidentId: string,
    @Body() body: ReinstateDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ) {
    return this.commands.execute(new ReinstateOperation(access, schoolId, correlationId, ids, incidentId, body.eventId, body.reason));
  }

  @Get('audit/corrections')
  @Allow('audit.corrections')
  @ReadsViews('corrections-audit', 'voiding-facts')
  corrections(@Query() query: CorrectionsAuditQueryDto, @CurrentAccess() { school }: Authorized) {
    const { classId, subjectId, teacherId, periodId, from, to } = query;
    const afterLock = query.afterLock === undefined ? undefined : query.afterLock === 'true';
    return this.views.corrections(school!, { classId, subjectId, teacherId, periodId, from, to, afterLock }, query, asDate(query.asOf));
  }

  @Get('audit/events')
  @Allow('audit.events')
  @ReadsViews('voiding-facts')
  events(@Query() query: EventsAuditQueryDto, @CurrentAccess() { school }: Authorized) {
    return this.views.events(school!, { accountId: query.accountId, type: query.type, from: query.from, to: query.to }, query, asDate(query.asOf));
  }

  @Get('marks/:markId/provenance')
  @Allow('mark.provenance')
  @ReadsViews()
  async provenance(@Param('markId') markId: string, @Query() query: ViewQueryDto, @CurrentAccess() { school, principal, today }: Authorized) {
    const { address, items } = await this.views.provenance(school!, markId, asDate(query.asOf));
    // The guard let teachers through before the mark's group was known: ask again with it.
    const decision = authorize(principal, 'mark.provenance', { groupId: address.groupId }, school, today);
    if (!decision.allowed) throw forbidden(decision.reason);
    return { items };
  }
}
