import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { mondayOf } from '../../projections/diary/diary.projector';
import { ProjectionRunner } from '../../projections/projection-runner';
import { VOIDING_FACTS } from '../../projections/voiding-facts/voiding-facts.projector';
import { notYetConsistent } from '../common/app-error';
import { Authorized } from '../auth/access';
import { CLOCK, Clock } from '../common/clock';
import { dateIn } from '../common/time-zone';
import { WriteAnswer, writeAnswer } from '../common/write-answer';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { AppendResult, EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { OperationIds } from '../event-store/operation-ids';
import { AT_LEAST_WAIT_MS } from '../operations/read-your-writes.guard';
import { JournalViews } from '../journal/journal-views';
import { AccountDirectory } from '../accounts/account-directory';
import { acknowledgementsDecider, acknowledgementsStream, AcknowledgementForm, decideAcknowledgement, DiaryAcknowledgedData } from './domain/acknowledgement.decider';
import { ConsentForm, consentDecider, consentStream, decideConsent } from './domain/consent.decider';

export class RecordConsent {
  constructor(
    readonly access: Authorized,
    readonly schoolId: string,
    readonly correlationId: string,
    readonly ids: OperationIds,
    readonly parentId: string,
    readonly studentId: string,
    readonly granted: boolean,
    readonly form: ConsentForm,
  ) {}
}

export class AcknowledgeDiary {
  constructor(
    readonly access: Authorized,
    readonly schoolId: string,
    readonly correlationId: string,
    readonly ids: OperationIds,
    readonly studentId: string,
    readonly upTo: string,
    readonly form: AcknowledgementForm | null,
    readonly parentId: string | null,
  ) {}
}

/** Facts from the school's structure (caught up by the access check), rules in the decider. */
@CommandHandler(RecordConsent)
export class RecordConsentHandler implements ICommandHandler<RecordConsent, WriteAnswer> {
  constructor(
    private readonly repository: EventSourcedRepository,
    private readonly accounts: AccountDirectory,
  ) {}

  async execute(c: RecordConsent): Promise<WriteAnswer> {
    const school = c.access.school!;
    const linkedParents = school.parentLinks[c.studentId] ?? [];
    const by = { accountId: c.access.actor.accountId, role: c.access.actor.role === 'parent' ? ('parent' as const) : ('school' as const) };
    const command = {
      type: 'RecordConsent' as const,
      parentId: c.parentId,
      studentId: c.studentId,
      granted: c.granted,
      form: c.form,
      by,
      studentKnown: !!school.students[c.studentId],
      linkedParents,
      parentKnown: await parentKnown(this.accounts, linkedParents, c.parentId),
    };
    const result = await this.repository.handle(consentStream(c.parentId, c.studentId), consentDecider, (state) => decideConsent(command, state), {
      schoolId: c.schoolId,
      actor: c.access.actor,
      correlationId: c.correlationId,
      ids: c.ids,
    });
    return writeAnswer(result!.events[0].eventId, result!);
  }
}

/** Whether a parent id names an account: a linked parent does; any other is looked up. */
async function parentKnown(accounts: AccountDirectory, linkedParents: readonly string[], parentId: string | null): Promise<boolean> {
  return parentId === null || linkedParents.includes(parentId) || (await accounts.get(parentId)) !== null;
}

/**
 * The version recorded is the one GET diary serves for the week of `upTo` at the moment of the
 * decision: the diary (and the voiding facts) are first brought up to the school's newest event
 * (every acknowledged write of the school, and every void reported in it, included; other schools'
 * writes are not waited for), then the diary is read by the very code GET diary runs.
 */
@CommandHandler(AcknowledgeDiary)
export class AcknowledgeDiaryHandler implements ICommandHandler<AcknowledgeDiary, WriteAnswer> {
  constructor(
    private readonly repository: EventSourcedRepository,
    private readonly views: JournalViews,
    private readonly runner: ProjectionRunner,
    private readonly accounts: AccountDirectory,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(c: AcknowledgeDiary): Promise<WriteAnswer> {
    const school = c.access.school!;
    const linkedParents = school.parentLinks[c.studentId] ?? [];
    const acknowledgementId = c.ids.newId();
    const meta = { schoolId: c.schoolId, actor: c.access.actor, correlationId: c.correlationId, ids: c.ids };
    // A retry whose first attempt stored it answers with what was recorded then, not the diary now.
    const stored = await this.repository.stored(acknowledgementsStream(c.studentId), meta);
    if (stored) return acknowledgementAnswer(stored);
    // The school's own newest write (its journals, day marks, incidents): the diary (journal parts and day marks) must include it, not the region's head.
    if (!(await this.runner.waitFor(await this.store.head({ schoolId: c.schoolId }), AT_LEAST_WAIT_MS, ['journal-grid', 'diary', VOIDING_FACTS]))) throw notYetConsistent(1);
    const diary = await this.views.diary(school, c.studentId, c.upTo);
    const now = this.clock.now();
    const command = {
      type: 'AcknowledgeDiary' as const,
      acknowledgementId,
      studentId: c.studentId,
      upTo: c.upTo,
      form: c.form,
      parentId: c.parentId,
      by: { accountId: c.access.actor.accountId, role: c.access.actor.role === 'parent' ? ('parent' as const) : ('class-teacher' as const) },
      linkedParents,
      parentKnown: await parentKnown(this.accounts, linkedParents, c.parentId),
      today: dateIn(school.timezone, now),
      weekOf: mondayOf(c.upTo),
      version: diary.version,
    };
    const result = await this.repository.handle(acknowledgementsStream(c.studentId), acknowledgementsDecider, (state) => decideAcknowledgement(command, state), meta);
    return acknowledgementAnswer(result!);
  }
}

/** The write answer plus the week and the version recorded (docs/api-extensions.md), read from the event itself. */
function acknowledgementAnswer(result: AppendResult): WriteAnswer {
  const { acknowledgementId, weekOf, version } = result.events[0].data as DiaryAcknowledgedData;
  return { ...writeAnswer(acknowledgementId, result), weekOf, version } as WriteAnswer;
}

export const PARENTS_HANDLERS = [RecordConsentHandler, AcknowledgeDiaryHandler];
