import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { Authorized } from '../auth/access';
import { CLOCK, Clock } from '../common/clock';
import { invalid, noSuch, notFound } from '../common/domain-error';
import { AccountDirectory } from '../accounts/account-directory';
import { WriteAnswer, writeAnswer } from '../common/write-answer';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { dateIn } from '../common/time-zone';
import { classRoster, classTeacherOn, groupRoster, SchoolState, substitutionsInGroup, teachersOfGroupOn } from '../school/domain/school.decider';
import { dailyAbsencesDecider, dailyAbsencesStream, decideDailyAbsence } from './domain/daily-absences.decider';
import { decideJournal, JournalCommand, JournalContext, journalDecider, JournalState, journalStream } from './domain/journal.decider';
import { AttendanceCode } from './domain/journal.types';
import { EntityIndex, JournalAddress } from '../event-store/entity-index';
import { OperationIds } from '../event-store/operation-ids';

/** Where a journal command goes: a group and either a period or a date inside one, or an entry id. */
export type JournalTarget = { groupId: string; periodId?: string; date?: string } | { entityId: string };

export class WriteJournal {
  constructor(
    readonly access: Authorized,
    readonly schoolId: string,
    readonly correlationId: string,
    readonly ids: OperationIds,
    readonly target: JournalTarget,
    readonly command: JournalCommand,
    /** Id of a new entry the command creates, to be indexed; and the id the answer names. */
    readonly createsEntity: string | null,
    readonly answerId: string,
  ) {}
}

export class RecordDailyAbsence {
  constructor(
    readonly access: Authorized,
    readonly schoolId: string,
    readonly correlationId: string,
    readonly ids: OperationIds,
    readonly classId: string,
    readonly date: string,
    readonly studentId: string,
    readonly code: AttendanceCode,
  ) {}
}

/** The period of the group's year that contains a date. */
export function periodOn(school: SchoolState, groupId: string, date: string) {
  const group = school.groups[groupId];
  const year = group && school.years[school.classes[group.classId].yearId];
  return year?.periods.find((p) => p.startsOn <= date && date <= p.endsOn);
}

/**
 * The facts a journal decision needs, read from the school's structure (never from a lagging view),
 * as they are on the school's today: rights follow the date.
 */
export function journalContext(school: SchoolState, groupId: string, periodId: string, access: Authorized, now: Date): JournalContext {
  const group = school.groups[groupId];
  const period = school.periods[periodId];
  const year = school.years[period.yearId];
  const today = dateIn(school.timezone, now);
  const teachers = teachersOfGroupOn(school, groupId, today);
  return {
    now,
    actorId: access.actor.accountId,
    actorRole: access.actor.role,
    isAssignedTeacher: teachers.includes(access.actor.accountId),
    isClassTeacher: classTeacherOn(school, group.classId, today) === access.actor.accountId,
    groupId,
    subjectId: group.subjectId,
    period: { periodId, startsOn: period.startsOn, endsOn: period.endsOn },
    timezone: school.timezone,
    holidays: year.holidays,
    rosterOn: (date) => groupRoster(school, groupId, date),
    isStudent: (studentId) => !!school.students[studentId],
    assignedTeacherIds: teachers,
    substitutions: substitutionsInGroup(school, groupId),
  };
}

@CommandHandler(WriteJournal)
export class WriteJournalHandler implements ICommandHandler<WriteJournal, WriteAnswer> {
  constructor(
    private readonly repository: EventSourcedRepository,
    private readonly index: EntityIndex,
    private readonly accounts: AccountDirectory,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(c: WriteJournal): Promise<WriteAnswer> {
    const school = c.access.school!;
    const { groupId, periodId } = await this.locate(c, school);
    const meta = { schoolId: c.schoolId, actor: c.access.actor, correlationId: c.correlationId, ids: c.ids };
    const stream = journalStream(groupId, periodId);
    const command = await this.withAccountFacts(c.command, school.groups[groupId].teacherIds);
    const decide = (state: JournalState) => decideJournal(command, state, journalContext(school, groupId, periodId, c.access, this.clock.now()));
    if (c.createsEntity) {
      // A retry whose first attempt wrote the entry: deciding again would refuse it (a taken slot).
      const stored = await this.repository.stored(stream, meta);
      if (stored) return writeAnswer(c.answerId, stored);
      // Decide once before indexing: a refused command writes nothing, not even the index entry.
      decide((await this.repository.load(stream, journalDecider)).state);
      await this.index.register(c.createsEntity, { schoolId: c.schoolId, groupId, periodId }, meta);
    }
    const result = await this.repository.handle(stream, journalDecider, decide, meta);
    return writeAnswer(c.answerId, result!);
  }

  /** A substitute that is none of the group's teachers: is it an account at all (404) or one that may not (400)? */
  private async withAccountFacts(command: JournalCommand, teacherIds: readonly string[]): Promise<JournalCommand> {
    if (command.type !== 'RecordLesson' || !command.substitutesFor || teacherIds.includes(command.substitutesFor)) return command;
    return { ...command, substitute: await this.accounts.facts(command.substitutesFor) };
  }

  private async locate(c: WriteJournal, school: SchoolState): Promise<{ groupId: string; periodId: string }> {
    if ('entityId' in c.target) {
      const address = await this.index.resolve<JournalAddress>(c.target.entityId);
      if (!address || address.schoolId !== c.schoolId) throw notFound('entry');
      return address;
    }
    const { groupId } = c.target;
    if (!school.groups[groupId]) throw notFound('group');
    if (c.target.periodId) {
      const period = school.periods[c.target.periodId];
      if (!period) throw noSuch('periodId', 'period of this school');
      if (period.yearId !== school.classes[school.groups[groupId].classId].yearId) throw invalid('periodId', "must be a period of the group's school year");
      return { groupId, periodId: c.target.periodId };
    }
    const period = periodOn(school, groupId, c.target.date!);
    if (!period) throw invalid('date', "must lie inside a period of the group's school year");
    return { groupId, periodId: period.periodId };
  }
}

@CommandHandler(RecordDailyAbsence)
export class RecordDailyAbsenceHandler implements ICommandHandler<RecordDailyAbsence, WriteAnswer> {
  constructor(private readonly repository: EventSourcedRepository) {}

  async execute(c: RecordDailyAbsence): Promise<WriteAnswer> {
    const school = c.access.school!;
    if (!school.classes[c.classId]) throw notFound('class');
    const roster = classRoster(school, c.classId, c.date);
    const result = await this.repository.handle(
      dailyAbsencesStream(c.classId),
      dailyAbsencesDecider,
      (state) => decideDailyAbsence({ classId: c.classId, date: c.date, studentId: c.studentId, code: c.code, roster, isStudent: !!school.students[c.studentId] }, state),
      { schoolId: c.schoolId, actor: c.access.actor, correlationId: c.correlationId, ids: c.ids },
    );
    return writeAnswer(c.studentId, result!);
  }
}

export const JOURNAL_HANDLERS = [WriteJournalHandler, RecordDailyAbsenceHandler];
