import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AccountDirectory } from '../accounts/account-directory';
import { accountDecider, AccountState, accountStream, decideAccount } from '../accounts/domain/account.decider';
import { Authorized } from '../auth/access';
import { CLOCK, Clock, toMoment } from '../common/clock';
import { noSuch, notFound } from '../common/domain-error';
import { WriteAnswer, writeAnswer } from '../common/write-answer';
import { EntityIndex, IncidentAddress } from '../event-store/entity-index';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { VoidingFilter } from './voiding-filter';
import { OperationIds } from '../event-store/operation-ids';

export class ReportCompromise {
  constructor(
    readonly access: Authorized,
    readonly schoolId: string,
    readonly correlationId: string,
    readonly ids: OperationIds,
    readonly accountId: string,
    readonly effectiveFrom: string | undefined,
    readonly suspectedSince: string | undefined,
    readonly note: string | undefined,
  ) {}
}

export class ReinstateOperation {
  constructor(
    readonly access: Authorized,
    readonly schoolId: string,
    readonly correlationId: string,
    readonly ids: OperationIds,
    readonly incidentId: string,
    readonly eventId: string,
    readonly reason: string,
  ) {}
}

/** Moments are kept to the millisecond, as every moment the service returns (API.md). */
const moment = (value: string) => toMoment(new Date(value));

/**
 * SPEC §4: the report blocks the account at once (its tokens die on their next request, login
 * answers ACCOUNT_BLOCKED) and voids its operations from the moment on; views follow through the
 * projection runner. `voidedCount` is what the log holds of that account in the window right now.
 */
@CommandHandler(ReportCompromise)
export class ReportCompromiseHandler implements ICommandHandler<ReportCompromise, WriteAnswer & { voidedCount: number }> {
  constructor(
    private readonly repository: EventSourcedRepository,
    private readonly accounts: AccountDirectory,
    private readonly index: EntityIndex,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(c: ReportCompromise): Promise<WriteAnswer & { voidedCount: number }> {
    const account = await this.accounts.get(c.accountId);
    // Another school's account is as unknown here as one that does not exist (API.md: no leak).
    if (!account || account.schoolId !== c.schoolId) throw noSuch('accountId', 'account of this school');
    const now = toMoment(this.clock.now());
    const incidentId = c.ids.newId();
    const command = {
      type: 'ReportCompromise' as const,
      incidentId,
      effectiveFrom: c.effectiveFrom ? moment(c.effectiveFrom) : now,
      suspectedSince: c.suspectedSince ? moment(c.suspectedSince) : null,
      note: c.note ?? null,
      reportedBy: c.access.actor.accountId,
      now,
    };
    const meta = { schoolId: c.schoolId, actor: c.access.actor, correlationId: c.correlationId, ids: c.ids };
    const stream = accountStream(c.accountId);
    // A retry whose first attempt reported it: deciding again would find the incident open (409).
    let result = await this.repository.stored(stream, meta);
    if (!result) {
      // Decide once before indexing: a refused report writes nothing.
      decideAccount(command, (await this.repository.load(stream, accountDecider)).state);
      await this.index.register<IncidentAddress>(incidentId, { schoolId: c.schoolId, accountId: c.accountId }, meta);
      result = (await this.repository.handle(stream, accountDecider, (s) => decideAccount(command, s), meta))!;
    }
    // Counted from the report as stored, up to its moment: a replay counts what the first answer did.
    // Every operation of the account in the window, of any type: reports, reissues and reinstatements it made too.
    const report = result.events[0];
    const { effectiveFrom, suspectedSince } = report.data as { effectiveFrom: string; suspectedSince: string | null };
    const upTo = toMoment(new Date(Date.parse(report.recordedAt) + 1));
    const voided = await this.store.query({ accountId: c.accountId, recordedFrom: suspectedSince ?? effectiveFrom, recordedBefore: upTo });
    const own = new Set(result.events.map((e) => e.eventId));
    return { ...writeAnswer(incidentId, result), voidedCount: voided.filter((e) => !own.has(e.eventId)).length };
  }
}

/** The incident's account and its state, or 404 (an incident of another school does not exist). */
export async function incidentAccount(index: EntityIndex, repository: EventSourcedRepository, schoolId: string, incidentId: string): Promise<AccountState> {
  const address = await index.resolve<IncidentAddress>(incidentId);
  if (!address || address.schoolId !== schoolId) throw notFound('incident');
  const { state } = await repository.load(accountStream(address.accountId), accountDecider);
  if (!state.incidents[incidentId]) throw notFound('incident');
  return state;
}

@CommandHandler(ReinstateOperation)
export class ReinstateOperationHandler implements ICommandHandler<ReinstateOperation, WriteAnswer> {
  constructor(
    private readonly repository: EventSourcedRepository,
    private readonly index: EntityIndex,
    private readonly voiding: VoidingFilter,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute(c: ReinstateOperation): Promise<WriteAnswer> {
    const account = await incidentAccount(this.index, this.repository, c.schoolId, c.incidentId);
    const [event] = await this.store.query({ eventIds: [c.eventId] });
    // The incident's window as the ledger resolves it: a report filed through a compromised account has none.
    const window = (await this.voiding.ledgerOf([account.accountId])).windows(account.accountId).find((w) => w.incidentId === c.incidentId) ?? null;
    const result = await this.repository.handle(
      accountStream(account.accountId),
      accountDecider,
      (s) => decideAccount({ type: 'ReinstateOperation', incidentId: c.incidentId, event: event ?? null, window, reason: c.reason, by: c.access.actor.accountId }, s),
      { schoolId: c.schoolId, actor: c.access.actor, correlationId: c.correlationId, ids: c.ids },
    );
    return writeAnswer(c.incidentId, result!);
  }
}

export const SECURITY_HANDLERS = [ReportCompromiseHandler, ReinstateOperationHandler];
