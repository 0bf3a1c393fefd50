import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AccountDirectory } from '../accounts/account-directory';
import { WriteAnswer, writeAnswer } from '../common/write-answer';
import { Actor } from '../event-store/envelope';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { OperationIds } from '../event-store/operation-ids';
import { decideSchool, HolidayDef, PeriodDef, SchoolCommand, schoolDecider, schoolStream } from './domain/school.decider';

/**
 * Every change of a school's structure is one command on the school's stream. The handler only
 * gathers facts about the accounts the command names; the rules are in the decider.
 */
export class ChangeSchoolStructure {
  constructor(
    readonly schoolId: string,
    readonly actor: Actor,
    readonly correlationId: string,
    readonly ids: OperationIds,
    /** Builds the domain command once the facts are known; new ids are made here, not in the domain. */
    readonly command: SchoolCommand,
    /** The id the answer names (the entity created or changed). */
    readonly answerId: string,
  ) {}
}

export interface YearAnswer extends WriteAnswer {
  periods: PeriodDef[];
}

@CommandHandler(ChangeSchoolStructure)
export class ChangeSchoolStructureHandler implements ICommandHandler<ChangeSchoolStructure, WriteAnswer> {
  constructor(
    private readonly repository: EventSourcedRepository,
    private readonly accounts: AccountDirectory,
  ) {}

  async execute(c: ChangeSchoolStructure): Promise<WriteAnswer> {
    const command = await this.withAccountFacts(c.command);
    const result = await this.repository.handle(schoolStream(c.schoolId), schoolDecider, (state) => decideSchool(command, state), {
      schoolId: c.schoolId,
      actor: c.actor,
      correlationId: c.correlationId,
      ids: c.ids,
    });
    return writeAnswer(c.answerId, result!);
  }

  private async withAccountFacts(command: SchoolCommand): Promise<SchoolCommand> {
    switch (command.type) {
      case 'CreateClass':
        return { ...command, classTeacher: await this.accounts.facts(command.classTeacherId) };
      case 'AdmitStudent':
        return { ...command, account: await this.accounts.facts(command.accountId) };
      case 'AssignTeacher':
      case 'RegisterSubstitution':
      case 'ChangeClassTeacher':
        return { ...command, teacher: await this.accounts.facts(command.teacherId) };
      case 'LinkParent':
        return { ...command, parent: await this.accounts.facts(command.parentId) };
      default:
        return command;
    }
  }
}

export const newYear = (ids: OperationIds, name: string, startsOn: string, endsOn: string, periods: Omit<PeriodDef, 'periodId'>[], holidays: HolidayDef[]): SchoolCommand & { type: 'CreateYear' } => ({
  type: 'CreateYear',
  yearId: ids.newId(),
  name,
  startsOn,
  endsOn,
  periods: periods.map((period) => ({ periodId: ids.newId(), name: period.name, startsOn: period.startsOn, endsOn: period.endsOn })),
  holidays,
});

export const SCHOOL_HANDLERS = [ChangeSchoolStructureHandler];
