import { Inject, Injectable } from '@nestjs/common';
import { ByteBoundedCache, stringBytes } from '../common/byte-bounded-cache';
import { In } from 'typeorm';
import { ProjectionRunner } from '../../projections/projection-runner';
import { CorrectionRow, CorrectionsDoc } from '../../projections/corrections-audit/corrections-audit.projector';
import { correctionsAudit } from '../../projections/corrections-audit/corrections-audit.projector';
import { incidents as incidentsProjector, SchoolIncidentsDoc } from '../../projections/incidents/incidents.projector';
import { foldDocuments } from '../../projections/projector';
import { gridKey } from '../../projections/journal-grid/journal-grid.projector';
import { ViewDocument } from '../../projections/entities';
import { accountDecider, AccountState, accountStream } from '../accounts/domain/account.decider';
import { validationFailed } from '../common/app-error';
import { noSuch, notFound } from '../common/domain-error';
import { Database, DATABASE } from '../database/database';
import { StoredEvent } from '../event-store/envelope';
import { EntityIndex, IncidentAddress, JournalAddress } from '../event-store/entity-index';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { comparePositions, formatPosition, parsePosition } from '../event-store/position';
import { journalStream } from '../journal/domain/journal.decider';
import { SchoolState } from '../school/domain/school.decider';
import { notificationReview, reviewOf, structureReview, voidedOperations } from './domain/incident-review';
import { newsOf, notificationId, sentEventId } from '../notifications/domain/notifications';
import { CHANNELS } from '../notifications/domain/notification-settings.decider';
import { heldBy, VOIDING_EVENT_TYPES, VoidingLedger } from './domain/voiding';
import { VoidingFilter } from './voiding-filter';
import { PersonalDataVault } from '../privacy/personal-data-vault';

export interface Page {
  limit?: number;
  cursor?: string;
}

/** Lists page by an opaque cursor: the offset, base64url (API.md: `{items, nextCursor}`). */
function paginate<T>(items: readonly T[], page: Page) {
  const offset = page.cursor ? Number(Buffer.from(page.cursor, 'base64url').toString()) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw validationFailed([{ field: 'cursor', reason: 'must be a cursor returned by this list' }]);
  const limit = page.limit ?? 100;
  const slice = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? Buffer.from(String(offset + limit)).toString('base64url') : null;
  return { items: slice, nextCursor: next };
}

/** How long an account's name is trusted from memory (an erasure on another instance shows within it). */
const NAME_CACHE_MS = 30_000;

const upTo = (asOf: Date | undefined) => (e: { recordedAt: string }) => !asOf || e.recordedAt <= asOf.toISOString();

/**
 * The security and audit views (API.md "Security", "Audit"). Incidents and provenance are read
 * from the log itself (the account streams hold the incidents), so they never lag a write; the
 * incident list and the corrections audit are projections; the raw log is a query on the store.
 */
@Injectable()
export class SecurityViews {
  /**
   * Full names of accounts named in audits: 4 MiB, ~30,000 names. A name changes only by an erasure:
   * this process's own forget it at once, another instance's within NAME_CACHE_MS.
   */
  private readonly names = new ByteBoundedCache<{ name: string; at: number }>(4 * 1024 * 1024);

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly repository: EventSourcedRepository,
    private readonly index: EntityIndex,
    private readonly runner: ProjectionRunner,
    private readonly voiding: VoidingFilter,
    private readonly personalData: PersonalDataVault,
  ) {
    personalData.onErased((person) => person.startsWith('account:') && this.names.delete(person.slice('account:'.length)));
  }

  async incident(school: SchoolState, incidentId: string, asOf?: Date) {
    const address = await this.index.resolve<IncidentAddress>(incidentId);
    if (!address || address.schoolId !== school.schoolId) throw notFound('incident');
    const account = await this.accountAsOf(address.accountId, asOf);
    const incident = account.incidents[incidentId];
    if (!incident) throw notFound('incident');
    const ledger = await this.voiding.ledgerOf([account.accountId], { asOf });
    // The report itself may be void (filed through a compromised account): then it has no window and voids nothing.
    const [report] = (await this.store.readStream(accountStream(account.accountId))).filter(
      (e) => e.type === 'CredentialCompromiseReported' && (e.data as { incidentId: string }).incidentId === incidentId,
    );
    const voidedBy = report ? ledger.voidedBy(report) : null;
    const window = ledger.windows(account.accountId).find((w) => w.incidentId === incidentId);
    const closedAt = window ? window.closedAt : incident.closedAt;
    const events = window ? (await this.store.query({ accountId: account.accountId, recordedFrom: window.from, recordedBefore: window.closedAt ?? undefined })).filter(upTo(asOf)) : [];
    const voided = window ? voidedOperations(window, ledger, events, school) : [];
    const journals = [...new Set(events.filter((e) => e.stream.startsWith('journal-')).map((e) => e.stream))];
    const journalEvents = (await Promise.all(journals.map((stream) => this.store.readStream(stream)))).flat().filter(upTo(asOf));
    journalEvents.sort((a, b) => comparePositions(a.position, b.position));
    const sent = window ? (await this.notificationsSentAbout(events, school)).filter(upTo(asOf)) : [];
    return {
      id: incidentId,
      accountId: account.accountId,
      effectiveFrom: incident.effectiveFrom,
      suspectedSince: incident.suspectedSince,
      status: closedAt ? 'closed' : 'open',
      reportedAt: incident.reportedAt,
      reportedBy: incident.reportedBy,
      note: incident.note,
      closedAt,
      void: voidedBy !== null,
      voidedBy,
      voided,
      review: window
        ? [...reviewOf(incidentId, ledger, journalEvents, school), ...notificationReview(incidentId, ledger, events, sent, school), ...structureReview(window, ledger, events, school)]
        : [],
    };
  }

  /**
   * The `NotificationSent` events about these operations, found by id: a delivery's event id is
   * fixed by (operation, parent, channel), so the candidates are every parent ever linked to the
   * student on each channel, read through the log's event-id index (not a scan of the school's log).
   */
  private async notificationsSentAbout(operations: readonly StoredEvent[], school: SchoolState): Promise<StoredEvent[]> {
    const links = Object.values(school.parentLinksById);
    const ids: string[] = [];
    for (const operation of operations) {
      const news = newsOf(operation);
      if (!news) continue;
      const parents = new Set(links.filter((link) => link.studentId === news.studentId).map((link) => link.parentId));
      for (const parentId of parents) for (const channel of CHANNELS) ids.push(sentEventId(notificationId(operation.eventId, parentId, channel)));
    }
    return ids.length === 0 ? [] : this.store.query({ eventIds: ids });
  }

  async incidents(school: SchoolState, page: Page, asOf?: Date) {
    let doc: SchoolIncidentsDoc | undefined;
    if (asOf) {
      const events = (await this.store.query({ schoolId: school.schoolId, types: VOIDING_EVENT_TYPES })).filter(upTo(asOf));
      doc = foldDocuments(incidentsProjector, events, undefined, this.runner.ledgerAsOf(asOf)).get(school.schoolId);
    } else {
      // The view keeps each note sealed under its account's key (src/privacy): opened here, or read as erased.
      doc = await this.personalData.openDeep(await this.stored<SchoolIncidentsDoc>('incidents', school.schoolId));
    }
    const rows = Object.values(doc?.incidents ?? {}).sort((a, b) => b.reportedAt.localeCompare(a.reportedAt) || a.id.localeCompare(b.id));
    return paginate(rows, page);
  }

  /** Corrections (API.md "Audit"): every one, void ones marked, filtered, oldest first. */
  async corrections(
    school: SchoolState,
    filter: { classId?: string; subjectId?: string; teacherId?: string; periodId?: string; from?: string; to?: string; afterLock?: boolean },
    page: Page,
    asOf?: Date,
  ) {
    if (filter.classId && !school.classes[filter.classId]) throw noSuch('classId', 'class of this school');
    if (filter.subjectId && !school.subjects[filter.subjectId]) throw noSuch('subjectId', 'subject of this school');
    if (filter.periodId && !school.periods[filter.periodId]) throw noSuch('periodId', 'period of this school');
    const groups = Object.values(school.groups).filter((g) => (!filter.classId || g.classId === filter.classId) && (!filter.subjectId || g.subjectId === filter.subjectId));
    const journals = groups.flatMap((g) =>
      school.years[school.classes[g.classId].yearId].periods.filter((p) => !filter.periodId || p.periodId === filter.periodId).map((p) => ({ groupId: g.groupId, periodId: p.periodId })),
    );
    let docs: CorrectionsDoc[];
    if (asOf) {
      const events = (await Promise.all(journals.map((j) => this.store.readStream(journalStream(j.groupId, j.periodId))))).flat().filter(upTo(asOf));
      events.sort((a, b) => comparePositions(a.position, b.position));
      docs = [...foldDocuments(correctionsAudit, events, undefined, this.runner.ledgerAsOf(asOf)).values()];
    } else {
      const keys = journals.map((j) => gridKey(j.groupId, j.periodId));
      const rows = keys.length === 0 ? [] : await this.database.dataSource.getRepository(ViewDocument).findBy({ projection: 'corrections-audit', key: In(keys) });
      // The view keeps each reason sealed under its student's key (src/privacy): opened here, or read as erased.
      docs = await this.personalData.openDeep(rows.map((row) => row.doc as CorrectionsDoc));
    }
    const localDay = new Intl.DateTimeFormat('en-CA', { timeZone: school.timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
    const rows = docs
      .flatMap((doc) => Object.values(doc.corrections))
      .filter((c) => !filter.teacherId || c.by.accountId === filter.teacherId)
      .filter((c) => filter.afterLock === undefined || c.afterLock === filter.afterLock)
      .filter((c) => {
        const day = localDay.format(new Date(c.at));
        return (!filter.from || filter.from <= day) && (!filter.to || day <= filter.to);
      })
      .sort((a, b) => a.at.localeCompare(b.at) || a.eventId.localeCompare(b.eventId));
    const { items, nextCursor } = paginate(rows, page);
    return { items: await Promise.all(items.map((row) => this.correctionItem(row))), nextCursor };
  }

  private async correctionItem(row: CorrectionRow) {
    const { voidedBy: incident, studentId: _s, by, ...rest } = row;
    return { ...rest, by: { accountId: by.accountId, fullName: await this.fullName(by.accountId), role: by.role }, void: incident !== null, voidedBy: incident };
  }

  /** A mark's whole story in log order: recorded, corrected, voided (the report), reinstated. */
  async provenance(school: SchoolState, markId: string, asOf?: Date): Promise<{ address: JournalAddress; items: object[] }> {
    const address = await this.index.resolve<JournalAddress>(markId);
    if (!address || address.schoolId !== school.schoolId) throw notFound('mark');
    const journal = (await this.store.readStream(journalStream(address.groupId, address.periodId))).filter(upTo(asOf));
    const own = journal.filter((e) => (e.data as { markId?: string }).markId === markId);
    if (!own.some((e) => e.type === 'MarkRecorded')) throw notFound('mark');
    const actors = [...new Set(own.map((e) => e.actor.accountId))];
    const accounts = await Promise.all(actors.map((id) => this.accountAsOf(id, asOf)));
    const ledger = await this.voiding.ledgerOf(actors, { asOf });
    const ownIds = new Set(own.map((e) => e.eventId));
    // The incidents' own events that concern these operations: the report that voids them, the reinstatements.
    const incidentIds = new Set(own.map((e) => heldBy(ledger, e)).filter((id): id is string => id !== null));
    const accountEvents = (await Promise.all(accounts.filter((a) => Object.keys(a.incidents).length > 0).map((a) => this.store.readStream(accountStream(a.accountId))))).flat().filter(upTo(asOf));
    const related = accountEvents.filter((e) => {
      const d = e.data as { incidentId?: string; eventId?: string };
      return (e.type === 'CredentialCompromiseReported' && incidentIds.has(d.incidentId!)) || (e.type === 'OperationReinstated' && ownIds.has(d.eventId!));
    });
    const items = [...own, ...related].sort((a, b) => comparePositions(a.position, b.position));
    return { address, items: await Promise.all(items.map((e) => this.logItem(e, ledger, false))) };
  }

  /** The raw log of a school for security staff (API.md `audit/events`), AccessDenied included. */
  async events(school: SchoolState, filter: { accountId?: string; type?: string; from?: string; to?: string }, page: Page, asOf?: Date) {
    const after = page.cursor ? parsePosition(Buffer.from(page.cursor, 'base64url').toString()) : undefined;
    if (after === null) throw validationFailed([{ field: 'cursor', reason: 'must be a cursor returned by this list' }]);
    const limit = page.limit ?? 100;
    // The earlier of `to` and just after `asOf`, compared as moments: `to` may carry any offset.
    const bounds = [filter.to ? Date.parse(filter.to) : undefined, asOf ? asOf.getTime() + 1 : undefined].filter((t): t is number => t !== undefined);
    const recordedBefore = bounds.length > 0 ? new Date(Math.min(...bounds)).toISOString() : undefined;
    const found = await this.store.query({
      schoolId: school.schoolId,
      accountId: filter.accountId,
      types: filter.type ? [filter.type] : undefined,
      recordedFrom: filter.from,
      recordedBefore,
      after,
      limit: limit + 1,
    });
    const ledger = asOf ? this.runner.ledgerAsOf(asOf) : this.runner.ledger();
    const items = await Promise.all(found.slice(0, limit).map((e) => this.logItem(e, ledger, true)));
    const nextCursor = found.length > limit ? Buffer.from(formatPosition(found[limit - 1].position)).toString('base64url') : null;
    return { items, nextCursor };
  }

  private async logItem(e: StoredEvent, ledger: VoidingLedger, raw: boolean) {
    const incident = heldBy(ledger, e);
    const reinstated = incident !== null && ledger.isReinstated(e.eventId);
    const actor = { accountId: e.actor.accountId, fullName: await this.fullName(e.actor.accountId), role: e.actor.role };
    const common = { eventId: e.eventId, type: e.type, recordedAt: e.recordedAt, actor, data: e.data, void: incident !== null && !reinstated, voidedBy: incident, reinstated };
    return raw ? { ...common, stream: e.stream, position: e.globalPosition } : common;
  }



  private async accountAsOf(accountId: string, asOf: Date | undefined): Promise<AccountState> {
    if (!asOf) return (await this.repository.load(accountStream(accountId), accountDecider)).state;
    const events = (await this.store.readStream(accountStream(accountId))).filter(upTo(asOf));
    return events.reduce((state, e) => accountDecider.evolve(state, e as never), accountDecider.initialState());
  }

  private async fullName(accountId: string): Promise<string | null> {
    const known = this.names.get(accountId);
    if (known !== undefined && Date.now() - known.at < NAME_CACHE_MS) return known.name;
    const { state } = await this.repository.load(accountStream(accountId), accountDecider);
    const name = state.exists ? state.fullName : null;
    if (name) this.names.set(accountId, { name, at: Date.now() }, stringBytes(accountId) + stringBytes(name) + 16);
    return name;
  }

  private async stored<Doc>(projection: string, key: string): Promise<Doc | undefined> {
    const row = await this.database.dataSource.getRepository(ViewDocument).findOneBy({ projection, key });
    return row?.doc as Doc | undefined;
  }
}
