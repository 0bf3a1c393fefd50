import { Inject, Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { acknowledgements, AcknowledgementsDoc } from '../../projections/acknowledgements/acknowledgements.projector';
import { mondayOf } from '../../projections/diary/diary.projector';
import { ViewDocument } from '../../projections/entities';
import { foldDocuments } from '../../projections/projector';
import { ProjectionRunner } from '../../projections/projection-runner';
import { AccountDirectory } from '../accounts/account-directory';
import { invalid, notFound } from '../common/domain-error';
import { Database, DATABASE } from '../database/database';
import { StoredEvent } from '../event-store/envelope';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { comparePositions } from '../event-store/position';
import { addDays } from '../journal/domain/deadlines';
import { diaryVersion, JournalViews } from '../journal/journal-views';
import { classOn, classRoster, SchoolState } from '../school/domain/school.decider';
import { voidedBy } from '../security/domain/voiding';
import { VoidingFilter } from '../security/voiding-filter';
import { acknowledgementsStream } from './domain/acknowledgement.decider';
import { ConsentEnvelope, consentDecider, consentStream } from './domain/consent.decider';

const byName = new Intl.Collator('ru');
type DiaryLesson = Awaited<ReturnType<JournalViews['diary']>>['days'][number]['lessons'][number];
/** The longest range one extract covers: a school year. */
const EXTRACT_MAX_DAYS = 366;

/**
 * What the class teacher sees about a class's parents: consents (and so who needs a paper
 * extract), acknowledgements per week, and the extract's data itself.
 */
@Injectable()
export class ParentsViews {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly journal: JournalViews,
    private readonly accounts: AccountDirectory,
    private readonly runner: ProjectionRunner,
    private readonly voiding: VoidingFilter,
  ) {}

  /** Students of the class on `date` with their names, in name order. */
  private roster(school: SchoolState, classId: string, date: string) {
    if (!school.classes[classId]) throw notFound('class');
    return classRoster(school, classId, date)
      .map((id) => ({ studentId: id, fullName: school.students[id].fullName }))
      .sort((a, b) => byName.compare(a.fullName, b.fullName));
  }

  private async parentName(parentId: string): Promise<string | null> {
    return (await this.accounts.get(parentId))?.fullName ?? null;
  }

  /**
   * One row per linked parent × student of the class (a student without a linked parent: one row,
   * parentId null), with the consent's status and its history, read from the consent streams
   * themselves (never behind a write). No granted consent → the student needs a paper extract.
   */
  async consents(school: SchoolState, classId: string, today: string, asOf?: Date) {
    const items = [];
    for (const student of this.roster(school, classId, today)) {
      const parents = school.parentLinks[student.studentId] ?? [];
      if (parents.length === 0) {
        items.push({ ...student, parentId: null, parentFullName: null, consent: 'none' as const, form: null, at: null, needsPaperExtract: true, history: [] });
        continue;
      }
      for (const parentId of parents) {
        const consent = await this.consentOf(parentId, student.studentId, asOf);
        const history = consent.history;
        items.push({
          ...student,
          parentId,
          parentFullName: await this.parentName(parentId),
          consent: consent.status,
          form: consent.form,
          at: history.filter((entry) => !entry.void).at(-1)?.at ?? null,
          needsPaperExtract: consent.status !== 'granted',
          history,
        });
      }
    }
    return { items, nextCursor: null };
  }

  /**
   * API.md: one row per linked parent × student. `acknowledged`: the parent has acknowledged the
   * diary up to `upTo` or later; the row shows that acknowledgement (the earliest that covers
   * `upTo`), or else the parent's last one. `changedSince`: the diary week it pinned now has
   * another version (a mark corrected, voided or added after the parent read it).
   */
  async acknowledgements(school: SchoolState, classId: string, upToDate: string, asOf?: Date) {
    const students = this.roster(school, classId, upToDate);
    const docs = await this.acknowledgementDocs(students.map((s) => s.studentId), asOf);
    const items = [];
    for (const student of students) {
      const acks = docs.get(student.studentId)?.items ?? [];
      for (const parentId of school.parentLinks[student.studentId] ?? []) {
        const mine = acks.filter((a) => a.parentId === parentId);
        const covering = mine.filter((a) => a.upTo >= upToDate).sort((a, b) => a.upTo.localeCompare(b.upTo));
        const latest = [...mine].sort((a, b) => b.upTo.localeCompare(a.upTo))[0];
        const chosen = covering.length > 0 ? covering.filter((a) => a.upTo === covering[0].upTo).at(-1) : latest;
        const currentVersion = chosen ? (await this.journal.diary(school, student.studentId, chosen.weekOf, asOf)).version : null;
        items.push({
          studentId: student.studentId,
          fullName: student.fullName,
          parentId,
          acknowledged: covering.length > 0,
          upTo: chosen?.upTo ?? null,
          weekOf: chosen?.weekOf ?? null,
          form: chosen?.form ?? null,
          version: chosen?.version ?? null,
          at: chosen?.at ?? null,
          by: chosen?.by ?? null,
          currentVersion,
          changedSince: chosen ? currentVersion !== chosen.version : false,
        });
      }
    }
    return { upTo: upToDate, items, nextCursor: null };
  }

  private async acknowledgementDocs(studentIds: string[], asOf?: Date): Promise<Map<string, AcknowledgementsDoc>> {
    if (asOf) {
      const events = upTo((await Promise.all(studentIds.map((id) => this.store.readStream(acknowledgementsStream(id))))).flat(), asOf);
      return foldDocuments(acknowledgements, events.sort((a, b) => comparePositions(a.position, b.position)), new Map(), this.runner.ledgerAsOf(asOf));
    }
    if (studentIds.length === 0) return new Map();
    const rows = await this.database.dataSource.getRepository(ViewDocument).findBy({ projection: acknowledgements.name, key: In(studentIds) });
    return new Map(rows.map((row) => [row.key, row.doc as AcknowledgementsDoc]));
  }

  /**
   * A consent with its whole history, each registration marked void or not: now, under the
   * registrars' own account streams (as the access check decides); asOf, the stream up to the
   * moment under the voids known then.
   */
  private async consentOf(parentId: string, studentId: string, asOf?: Date) {
    const events = upTo(await this.store.readStream(consentStream(parentId, studentId)), asOf);
    const ledger = asOf ? this.runner.ledgerAsOf(asOf) : await this.voiding.ledgerOf([...new Set(events.map((e) => e.actor.accountId))]);
    const counting = events.filter((event) => voidedBy(ledger, event) === null);
    const state = counting.reduce((folded, event) => consentDecider.evolve(folded, event as unknown as ConsentEnvelope), consentDecider.initialState());
    const history = events.map((e) => ({ eventId: e.eventId, type: e.type, form: (e.data as { form: string }).form, at: e.recordedAt, by: e.actor.accountId, void: !counting.includes(e) }));
    return { status: state.status, form: state.form, history };
  }



  /**
   * The paper extract (выписка, seed 000) for one student and a date range: what a printout
   * needs, from the same diary weeks the parents would read (asOf and voids included).
   */
  async extract(school: SchoolState, studentId: string, from: string, to: string, asOf?: Date) {
    const student = school.students[studentId];
    if (!student) throw notFound('student');
    if (to < from) throw invalid('to', 'must not be before from');
    if (addDays(from, EXTRACT_MAX_DAYS - 1) < to) throw invalid('to', `must be at most ${EXTRACT_MAX_DAYS} days after from`);
    const lessons: (DiaryLesson & { date: string })[] = [];
    for (let monday = mondayOf(from); monday <= to; monday = addDays(monday, 7)) {
      const week = await this.journal.diary(school, studentId, monday, asOf);
      for (const day of week.days) {
        if (day.date < from || day.date > to) continue;
        for (const lesson of day.lessons) lessons.push({ date: day.date, ...lesson });
      }
    }
    const subjects = [...new Set(lessons.map((l) => l.subject ?? ''))].sort((a, b) => byName.compare(a, b));
    const marks = subjects.map((subject) => {
      const values = lessons.filter((l) => (l.subject ?? '') === subject).flatMap((l) => l.marks.map((m) => ({ date: l.date, lessonId: l.lessonId, value: m.value as number, workKind: m.workKind })));
      return { subject, marks: values };
    });
    const absences = lessons.filter((l) => l.attendance !== null).map((l) => ({ date: l.date, lessonId: l.lessonId, subject: l.subject, code: l.attendance }));
    const homework = lessons.map((l) => ({ date: l.date, lessonId: l.lessonId, subject: l.subject, homework: l.homework }));
    const classId = classOn(student.placements, to);
    const content = { lessons, marks, absences, homework };
    return {
      student: { id: studentId, fullName: student.fullName, birthDate: student.birthDate, class: classId ? { id: classId, name: school.classes[classId]?.name ?? null } : null },
      school: { id: school.schoolId, name: school.name },
      from,
      to,
      asOf: asOf?.toISOString() ?? null,
      ...content,
      version: diaryVersion(content),
    };
  }
}

/** Events recorded at or before the moment (all of them without one). */
function upTo(events: StoredEvent[], asOf?: Date): StoredEvent[] {
  if (!asOf) return events;
  const moment = asOf.toISOString();
  return events.filter((e) => e.recordedAt <= moment);
}
