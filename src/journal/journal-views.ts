import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import canonicalize from 'canonicalize';
import { DiaryWeekDoc, diary, diaryKey, mondayOf } from '../../projections/diary/diary.projector';
import { ViewDocument } from '../../projections/entities';
import { gridKey, journalGrid, JournalGridDoc } from '../../projections/journal-grid/journal-grid.projector';
import { foldDocuments } from '../../projections/projector';
import { ProjectionRunner } from '../../projections/projection-runner';
import { foldLedger, VoidingLedger } from '../security/domain/voiding';
import { notFound } from '../common/domain-error';
import { Database, DATABASE } from '../database/database';
import { StoredEvent } from '../event-store/envelope';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { comparePositions } from '../event-store/position';
import { classesOfStudent, groupRoster, SchoolState } from '../school/domain/school.decider';
import { addDays } from './domain/deadlines';
import { dailyAbsencesStream } from './domain/daily-absences.decider';
import { journalStream } from './domain/journal.decider';
import { suggestFinalMark } from './domain/final-mark-suggestion';

/**
 * The journal grid, the diary week and final-mark suggestions, as API.md shapes them. Now: from the
 * projections' documents. `asOf`: folded from the log up to that moment with the same pure
 * projectors — a view "exactly as it stood then" that no stored row has to remember.
 */
@Injectable()
export class JournalViews {
  /**
   * Built grids, reused while neither the stored document (its position) nor the school's structure
   * (its state object: evolve never changes one in place) has moved. A grid is ~200 KB of JSON:
   * parsing and shaping it again for every read was most of a request's cost.
   */
  private readonly grids = new Map<string, { position: string; school: SchoolState; grid: Awaited<ReturnType<JournalViews['buildGrid']>> }>();

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
  ) {}

  async grid(school: SchoolState, groupId: string, periodId: string, asOf?: Date) {
    if (!school.groups[groupId]) throw notFound('group');
    if (!school.periods[periodId]) throw notFound('period');
    const key = gridKey(groupId, periodId);
    if (asOf) return this.buildGrid(school, groupId, periodId, foldDocuments(journalGrid, await this.eventsUpTo([journalStream(groupId, periodId)], asOf), undefined, this.ledgerAsOf(asOf)).get(key));
    const { rows } = await this.database.pool.query<{ position: string }>(`SELECT position FROM view_document WHERE projection = 'journal-grid' AND key = $1`, [key]);
    const position = rows[0]?.position ?? 'none';
    const cached = this.grids.get(key);
    if (cached && cached.position === position && cached.school === school) return cached.grid;
    const grid = this.buildGrid(school, groupId, periodId, await this.stored<JournalGridDoc>('journal-grid', key));
    if (this.grids.size >= 500) this.grids.delete(this.grids.keys().next().value as string);
    this.grids.set(key, { position, school, grid });
    return grid;
  }

  private buildGrid(school: SchoolState, groupId: string, periodId: string, doc: JournalGridDoc | undefined) {
    const group = school.groups[groupId];
    const period = school.periods[periodId];
    const lessons = Object.values(doc?.lessons ?? {}).sort((a, b) => a.date.localeCompare(b.date) || a.slot - b.slot);
    const studentIds = [...new Set([...(doc?.studentIds ?? []), ...groupRoster(school, groupId, period.endsOn), ...Object.keys(doc?.marks ?? {})])];
    const students = studentIds
      .map((id) => ({
        id,
        fullName: school.students[id]?.fullName ?? null,
        marks: Object.values(doc?.marks[id] ?? {}).filter((m) => m.value !== null),
        attendance: Object.values(doc?.attendance[id] ?? {}).filter((a) => a.code !== null),
        finalMark: doc?.finalMarks[id] ?? null,
      }))
      .sort((a, b) => byName.compare(a.fullName ?? '', b.fullName ?? ''));
    return {
      group: { id: groupId, name: group.name },
      subject: { id: group.subjectId, name: school.subjects[group.subjectId]?.name ?? null },
      period: { id: periodId, name: period.name, startsOn: period.startsOn, endsOn: period.endsOn },
      lessons: lessons.map(({ workKinds: _w, ...lesson }) => lesson),
      students,
      locked: doc?.locked ?? false,
    };
  }

  async suggestions(school: SchoolState, groupId: string, periodId: string, minMarks: number, asOf?: Date) {
    const grid = await this.grid(school, groupId, periodId, asOf);
    return {
      items: grid.students.map((student) => ({
        studentId: student.id,
        ...suggestFinalMark(
          student.marks.map((m) => ({ value: m.value as number, weight: m.weight })),
          minMarks,
        ),
      })),
    };
  }

  async diary(school: SchoolState, studentId: string, weekOf: string, asOf?: Date) {
    const student = school.students[studentId];
    if (!student) throw notFound('student');
    const monday = mondayOf(weekOf);
    const key = diaryKey(studentId, monday);
    const doc = asOf ? foldDocuments(diary, await this.eventsUpTo(this.diaryStreams(school, studentId, monday), asOf), undefined, this.ledgerAsOf(asOf)).get(key) : await this.stored<DiaryWeekDoc>('diary', key);
    const lessons = Object.values(doc?.lessons ?? {}).sort((a, b) => a.date.localeCompare(b.date) || a.slot - b.slot);
    const dates = Array.from({ length: 7 }, (_, i) => addDays(monday, i)).filter((date, i) => i < 6 || lessons.some((l) => l.date === date));
    const days = dates.map((date) => ({
      date,
      lessons: lessons
        .filter((l) => l.date === date)
        .map((l) => ({
          lessonId: l.lessonId,
          subject: school.subjects[l.subjectId]?.name ?? null,
          topic: l.topic,
          homework: l.homework,
          marks: Object.values(l.marks)
            .filter((m) => m.value !== null)
            .map((m) => ({ id: m.id, value: m.value, workKind: m.workKind })),
          attendance: l.attendance ?? doc?.dailyAbsences[date] ?? null,
        })),
    }));
    return {
      student: { id: studentId, fullName: student.fullName },
      week: { startsOn: monday, endsOn: addDays(monday, 6) },
      days,
      version: diaryVersion(days),
    };
  }

  private async stored<Doc>(projection: string, key: string): Promise<Doc | undefined> {
    const row = await this.database.dataSource.getRepository(ViewDocument).findOneBy({ projection, key });
    return row?.doc as Doc | undefined;
  }

  /** Every stream a week of a student's diary can draw on: the journals of their classes' groups, and day absences. */
  private diaryStreams(school: SchoolState, studentId: string, monday: string): string[] {
    const sunday = addDays(monday, 6);
    const classes = classesOfStudent(school, studentId);
    const groups = Object.values(school.groups).filter((g) => classes.includes(g.classId) || g.studentIds?.includes(studentId));
    const streams = classes.map(dailyAbsencesStream);
    for (const group of groups) {
      const year = school.years[school.classes[group.classId].yearId];
      for (const period of year.periods) if (period.startsOn <= sunday && monday <= period.endsOn) streams.push(journalStream(group.groupId, period.periodId));
    }
    return streams;
  }

  /** The voids known at the moment: the voiding facts recorded by then (API.md `asOf`). */
  private ledgerAsOf(asOf: Date): VoidingLedger {
    const moment = asOf.toISOString();
    return foldLedger(this.runner.facts().filter((fact) => fact.recordedAt <= moment));
  }

  /** The events of these streams recorded at or before the moment, in global order. */
  private async eventsUpTo(streams: string[], asOf: Date): Promise<StoredEvent[]> {
    const moment = asOf.toISOString();
    const events = (await Promise.all(streams.map((stream) => this.store.readStream(stream)))).flat().filter((e) => e.recordedAt <= moment);
    return events.sort((a, b) => comparePositions(a.position, b.position));
  }
}

/** One collator: `localeCompare(x, 'ru')` builds a new one on every call. */
const byName = new Intl.Collator('ru');

/** Changes whenever what the diary shows changes: a digest of its content (RFC 8785 text). */
export function diaryVersion(days: unknown): string {
  return createHash('sha256').update(canonicalize(days) ?? '').digest('hex').slice(0, 16);
}
