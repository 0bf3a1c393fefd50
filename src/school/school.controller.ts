import { Body, Controller, Get, Inject, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { v7 as uuidv7 } from 'uuid';
import { AccountDirectory } from '../accounts/account-directory';
import { Allow, Authorized, CurrentAccess, str } from '../auth/access';
import { CLOCK, Clock } from '../common/clock';
import { notFound } from '../common/domain-error';
import { dateIn } from '../common/time-zone';
import { CorrelationId, WriteAnswer } from '../common/write-answer';
import { classRoster, SchoolCommand } from './domain/school.decider';
import { AdmitStudentDto, AssignTeacherDto, CreateClassDto, CreateGroupDto, CreateSubjectDto, CreateYearDto, LinkParentDto, SchoolSettingsDto, TransferStudentDto } from './dto/school.dto';
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

  private change(schoolId: string, access: Authorized, correlationId: string, command: SchoolCommand, answerId: string): Promise<WriteAnswer> {
    return this.commands.execute(new ChangeSchoolStructure(schoolId, access.actor, correlationId, command, answerId));
  }

  /** Extension of API.md (docs/api-extensions.md): the school's own rules, e.g. the Н/А threshold. */
  @Post('settings')
  @WriteRoute()
  @Allow('settings.change')
  async changeSettings(@Param('schoolId') schoolId: string, @Body() body: SchoolSettingsDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string) {
    return this.change(schoolId, access, correlationId, { type: 'ChangeSettings', settings: { ...body } }, schoolId);
  }

  @Post('years')
  @WriteRoute()
  @Allow('year.create')
  async createYear(@Param('schoolId') schoolId: string, @Body() body: CreateYearDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string) {
    const command = newYear(body.name, body.startsOn, body.endsOn, body.periods, body.holidays ?? []);
    const answer = await this.change(schoolId, access, correlationId, command, command.yearId);
    return { ...answer, periods: command.periods.map(({ periodId, ...period }) => ({ id: periodId, ...period })) };
  }

  @Post('subjects')
  @WriteRoute()
  @Allow('subject.create')
  createSubject(@Param('schoolId') schoolId: string, @Body() body: CreateSubjectDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string) {
    const subjectId = uuidv7();
    return this.change(schoolId, access, correlationId, { type: 'CreateSubject', subjectId, name: body.name }, subjectId);
  }

  @Post('classes')
  @WriteRoute()
  @Allow('class.create')
  createClass(@Param('schoolId') schoolId: string, @Body() body: CreateClassDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string) {
    const classId = uuidv7();
    const command: SchoolCommand = { type: 'CreateClass', classId, yearId: body.yearId, name: body.name, classTeacherId: body.classTeacherId, classTeacher: null };
    return this.change(schoolId, access, correlationId, command, classId);
  }

  @Post('students')
  @WriteRoute()
  @Allow('student.admit', (request) => ({ classId: str(request.body?.classId) }))
  admitStudent(@Param('schoolId') schoolId: string, @Body() body: AdmitStudentDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string) {
    const studentId = uuidv7();
    const command: SchoolCommand = {
      type: 'AdmitStudent',
      studentId,
      fullName: body.fullName,
      classId: body.classId,
      birthDate: body.birthDate ?? null,
      accountId: body.accountId ?? null,
      account: null,
    };
    return this.change(schoolId, access, correlationId, command, studentId);
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
  ) {
    return this.change(schoolId, access, correlationId, { type: 'TransferStudent', studentId, toClassId: body.toClassId, on: body.on }, studentId);
  }

  @Post('groups')
  @WriteRoute()
  @Allow('group.create')
  createGroup(@Param('schoolId') schoolId: string, @Body() body: CreateGroupDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string) {
    const groupId = uuidv7();
    const command: SchoolCommand = { type: 'CreateGroup', groupId, classId: body.classId, subjectId: body.subjectId, name: body.name ?? null, studentIds: body.studentIds ?? null };
    return this.change(schoolId, access, correlationId, command, groupId);
  }

  @Post('assignments')
  @WriteRoute()
  @Allow('assignment.create')
  assign(@Param('schoolId') schoolId: string, @Body() body: AssignTeacherDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string) {
    return this.change(schoolId, access, correlationId, { type: 'AssignTeacher', groupId: body.groupId, teacherId: body.teacherId, teacher: null }, body.groupId);
  }

  @Post('parent-links')
  @WriteRoute()
  @Allow('parent.link', (request) => ({ studentId: str(request.body?.studentId) }))
  linkParent(@Param('schoolId') schoolId: string, @Body() body: LinkParentDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string) {
    return this.change(schoolId, access, correlationId, { type: 'LinkParent', studentId: body.studentId, parentId: body.parentId, parent: null }, body.studentId);
  }

  /** Read from the school's stream itself (cached, caught up): the structure is never behind a write. */
  @Get('classes/:classId')
  @Allow('class.read', (request) => ({ classId: str(request.params.classId) }))
  @ReadsViews()
  async readClass(@Param('classId') classId: string, @CurrentAccess() { school }: Authorized) {
    const klass = school!.classes[classId];
    if (!klass) throw notFound('class');
    const today = dateIn(school!.timezone, this.clock.now());
    const teacher = await this.accounts.get(klass.classTeacherId);
    return {
      id: klass.classId,
      name: klass.name,
      yearId: klass.yearId,
      classTeacher: { id: klass.classTeacherId, fullName: teacher?.fullName ?? null },
      students: classRoster(school!, classId, today).map((id) => ({ id, fullName: school!.students[id].fullName, birthDate: school!.students[id].birthDate })),
      groups: Object.values(school!.groups)
        .filter((group) => group.classId === classId)
        .map((group) => ({ id: group.groupId, name: group.name, subjectId: group.subjectId, subject: school!.subjects[group.subjectId]?.name, teacherIds: group.teacherIds, studentIds: group.studentIds })),
    };
  }
}
