import { Body, Controller, Get, Inject, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AccountDirectory } from '../accounts/account-directory';
import { Allow, Authorized, CurrentAccess, str } from '../auth/access';
import { CLOCK, Clock } from '../common/clock';
import { notFound } from '../common/domain-error';
import { dateIn } from '../common/time-zone';
import { CorrelationId, Ids, WriteAnswer } from '../common/write-answer';
import { OperationIds } from '../event-store/operation-ids';
import { assignmentsOfGroup, classRoster, classTeacherOn, SchoolCommand, teachersOfGroupOn } from './domain/school.decider';
import {
  AdmitStudentDto,
  AssignTeacherDto,
  ChangeClassTeacherDto,
  CreateClassDto,
  CreateGroupDto,
  CreateSubjectDto,
  CreateYearDto,
  EndAccessDto,
  EndAssignmentDto,
  LinkParentDto,
  RegisterSubstitutionDto,
  SchoolSettingsDto,
  TransferStudentDto,
} from './dto/school.dto';
import { ChangeSchoolStructure, newYear } from './school.commands';
import { WriteRoute } from '../operations/write-route';
import { ReadsViews } from '../operations/read-your-writes.guard';

@ApiTags('school year')
@ApiBearerAuth()
@Controller('schools/:schoolId')
export class SchoolController {
  constructor(
    private readonly commands: CommandBus,
    private readonly accounts: AccountDirectory,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  private change(schoolId: string, access: Authorized, correlationId: string, ids: OperationIds, command: SchoolCommand, answerId: string): Promise<WriteAnswer> {
    return this.commands.execute(new ChangeSchoolStructure(schoolId, access.actor, correlationId, ids, command, answerId));
  }

  /** Extension of API.md (docs/api-extensions.md): the school's own rules, e.g. the Н/А threshold. */
  @Post('settings')
  @WriteRoute()
  @Allow('settings.change')
  async changeSettings(@Param('schoolId') schoolId: string, @Body() body: SchoolSettingsDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    return this.change(schoolId, access, correlationId, ids, { type: 'ChangeSettings', settings: { ...body } }, schoolId);
  }

  @Post('years')
  @WriteRoute()
  @Allow('year.create')
  async createYear(@Param('schoolId') schoolId: string, @Body() body: CreateYearDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    const command = newYear(ids, body.name, body.startsOn, body.endsOn, body.periods, body.holidays ?? []);
    const answer = await this.change(schoolId, access, correlationId, ids, command, command.yearId);
    return { ...answer, periods: command.periods.map(({ periodId, ...period }) => ({ id: periodId, ...period })) };
  }

  @Post('subjects')
  @WriteRoute()
  @Allow('subject.create')
  createSubject(@Param('schoolId') schoolId: string, @Body() body: CreateSubjectDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    const subjectId = ids.newId();
    return this.change(schoolId, access, correlationId, ids, { type: 'CreateSubject', subjectId, name: body.name }, subjectId);
  }

  @Post('classes')
  @WriteRoute()
  @Allow('class.create')
  createClass(@Param('schoolId') schoolId: string, @Body() body: CreateClassDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    const classId = ids.newId();
    const command: SchoolCommand = { type: 'CreateClass', classId, yearId: body.yearId, name: body.name, classTeacherId: body.classTeacherId, classTeacher: null };
    return this.change(schoolId, access, correlationId, ids, command, classId);
  }

  @Post('students')
  @WriteRoute()
  @Allow('student.admit', (request) => ({ classId: str(request.body?.classId) }))
  admitStudent(@Param('schoolId') schoolId: string, @Body() body: AdmitStudentDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    const studentId = ids.newId();
    const command: SchoolCommand = {
      type: 'AdmitStudent',
      studentId,
      fullName: body.fullName,
      classId: body.classId,
      birthDate: body.birthDate ?? null,
      accountId: body.accountId ?? null,
      account: null,
    };
    return this.change(schoolId, access, correlationId, ids, command, studentId);
  }

  @Post('students/:studentId/transfers')
  @WriteRoute()
  @Allow('student.transfer')
  transfer(
    @Param('schoolId') schoolId: string,
    @Param('studentId') studentId: string,
    @Body() body: TransferStudentDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ) {
    return this.change(schoolId, access, correlationId, ids, { type: 'TransferStudent', studentId, toClassId: body.toClassId, on: body.on }, studentId);
  }

  @Post('groups')
  @WriteRoute()
  @Allow('group.create')
  createGroup(@Param('schoolId') schoolId: string, @Body() body: CreateGroupDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    const groupId = ids.newId();
    const command: SchoolCommand = { type: 'CreateGroup', groupId, classId: body.classId, subjectId: body.subjectId, name: body.name ?? null, studentIds: body.studentIds ?? null };
    return this.change(schoolId, access, correlationId, ids, command, groupId);
  }

  @Post('assignments')
  @WriteRoute()
  @Allow('assignment.create')
  assign(@Param('schoolId') schoolId: string, @Body() body: AssignTeacherDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    const assignmentId = ids.newId();
    return this.change(schoolId, access, correlationId, ids, { type: 'AssignTeacher', assignmentId, groupId: body.groupId, teacherId: body.teacherId, teacher: null }, assignmentId);
  }

  /** Extension of API.md (docs/api-extensions.md, issue 12): from `on` the assignment gives no access. */
  @Post('assignments/:assignmentId/end')
  @WriteRoute()
  @Allow('assignment.end')
  endAssignment(
    @Param('schoolId') schoolId: string,
    @Param('assignmentId') assignmentId: string,
    @Body() body: EndAssignmentDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ) {
    return this.change(schoolId, access, correlationId, ids, { type: 'EndAssignment', assignmentId, on: body.on ?? access.today, reason: body.reason }, assignmentId);
  }

  /** Extension of API.md (docs/api-extensions.md, issue 12): a substitution (seed 003, the deputy's item 4). */
  @Post('substitutions')
  @WriteRoute()
  @Allow('substitution.register')
  registerSubstitution(@Param('schoolId') schoolId: string, @Body() body: RegisterSubstitutionDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    const substitutionId = ids.newId();
    const command: SchoolCommand = {
      type: 'RegisterSubstitution',
      substitutionId,
      groupId: body.groupId,
      date: body.date,
      teacherId: body.teacherId,
      slot: body.slot ?? null,
      reason: body.reason ?? null,
      teacher: null,
    };
    return this.change(schoolId, access, correlationId, ids, command, substitutionId);
  }

  /** Extension of API.md (docs/api-extensions.md, issue 12): the class teacher from a date on. */
  @Post('classes/:classId/class-teacher')
  @WriteRoute()
  @Allow('class-teacher.change')
  changeClassTeacher(
    @Param('schoolId') schoolId: string,
    @Param('classId') classId: string,
    @Body() body: ChangeClassTeacherDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ) {
    return this.change(schoolId, access, correlationId, ids, { type: 'ChangeClassTeacher', classId, teacherId: body.teacherId, on: body.on, teacher: null }, classId);
  }

  @Post('parent-links')
  @WriteRoute()
  @Allow('parent.link', (request) => ({ studentId: str(request.body?.studentId) }))
  linkParent(@Param('schoolId') schoolId: string, @Body() body: LinkParentDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    const linkId = ids.newId();
    return this.change(schoolId, access, correlationId, ids, { type: 'LinkParent', linkId, studentId: body.studentId, parentId: body.parentId, parent: null }, linkId);
  }

  /** Extension of API.md (docs/api-extensions.md, issue 12): the parent no longer reads the diary. */
  @Post('parent-links/:linkId/end')
  @WriteRoute()
  @Allow('parent-link.end', (request) => ({ linkId: str(request.params.linkId) }))
  endParentLink(@Param('schoolId') schoolId: string, @Param('linkId') linkId: string, @Body() body: EndAccessDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    return this.change(schoolId, access, correlationId, ids, { type: 'EndParentLink', linkId, reason: body.reason }, linkId);
  }

  /** Extension of API.md (docs/api-extensions.md, issue 12): the inspector no longer sees the school. */
  @Post('inspector-grants/:grantId/end')
  @WriteRoute()
  @Allow('inspector-grant.end')
  endInspectorGrant(@Param('schoolId') schoolId: string, @Param('grantId') grantId: string, @Body() body: EndAccessDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    return this.change(schoolId, access, correlationId, ids, { type: 'EndInspectorGrant', grantId, reason: body.reason }, grantId);
  }

  /** Read from the school's stream itself (cached, caught up): the structure is never behind a write. */
  @Get('classes/:classId')
  @Allow('class.read', (request) => ({ classId: str(request.params.classId) }))
  @ReadsViews()
  async readClass(@Param('classId') classId: string, @CurrentAccess() { school }: Authorized) {
    const klass = school!.classes[classId];
    if (!klass) throw notFound('class');
    const today = dateIn(school!.timezone, this.clock.now());
    const classTeacherId = classTeacherOn(school!, classId, today)!;
    const teacher = await this.accounts.get(classTeacherId);
    const parentLinks = (studentId: string) =>
      Object.values(school!.parentLinksById)
        .filter((link) => link.studentId === studentId && !link.ended)
        .map((link) => ({ id: link.linkId, parentId: link.parentId }));
    return {
      id: klass.classId,
      name: klass.name,
      yearId: klass.yearId,
      classTeacher: { id: classTeacherId, fullName: teacher?.fullName ?? null },
      students: classRoster(school!, classId, today).map((id) => ({ id, fullName: school!.students[id].fullName, birthDate: school!.students[id].birthDate, parentLinks: parentLinks(id) })),
      groups: Object.values(school!.groups)
        .filter((group) => group.classId === classId)
        .map((group) => ({
          id: group.groupId,
          name: group.name,
          subjectId: group.subjectId,
          subject: school!.subjects[group.subjectId]?.name,
          // Who teaches it today; `assignments` keeps every one, ended ones with their end date.
          teacherIds: teachersOfGroupOn(school!, group.groupId, today),
          assignments: assignmentsOfGroup(school!, group.groupId).map((a) => ({ id: a.assignmentId, teacherId: a.teacherId, endsOn: a.endsOn })),
          studentIds: group.studentIds,
        })),
    };
  }
}
